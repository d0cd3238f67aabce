using System;
using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// Non-learned state that belongs in a checkpoint: batchnorm running statistics and the
/// number of batches tracked (PyTorch's buffers). Values view a slice of the model's state arena.
/// </summary>
public sealed class StateTensor
{
    private readonly float[] _values;
    private readonly int _offset;

    public StateTensor(string name, int[] shape, float[] values, int offset, StateKind kind = StateKind.Float32)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        long length = 1;
        foreach (int d in shape) length *= d;
        if (offset < 0 || offset + length > values.Length)
            throw new ArgumentException($"State tensor '{name}' ({length} elements at offset {offset}) does not fit its arena ({values.Length}).");
        Length = (int)length;
        _values = values;
        _offset = offset;
        Kind = kind;
    }

    public string Name { get; }
    public IReadOnlyList<int> Shape { get; }
    public int Length { get; }

    /// <summary>How the value is stored in a checkpoint. <see cref="StateKind.Int64Counter"/> holds an integer
    /// count (PyTorch's <c>num_batches_tracked</c>, a 0-d int64) in a float slot.</summary>
    public StateKind Kind { get; }

    public Span<float> Value => new(_values, _offset, Length);

    public override string ToString() => $"{Name} [{string.Join("x", Shape)}]";
}

public enum StateKind
{
    Float32,
    Int64Counter,
}
