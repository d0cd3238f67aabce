using System;
using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// A named tensor of learned weights with its gradient. Values and gradients are views into the
/// model's parameter and gradient arenas (one contiguous allocation each), so an optimizer can
/// update every parameter without copies. Generic so that float64 models (used by the gradient
/// checks) share the type; models trained by users are float32 (<see cref="Parameter"/>).
/// </summary>
public class Parameter<T> where T : unmanaged
{
    private readonly T[] _values;
    private readonly T[] _gradients;
    private readonly int _offset;

    public Parameter(string name, int[] shape, T[] values, T[] gradients, int offset)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Shape = (int[])shape.Clone();
        long length = 1;
        foreach (int d in shape)
        {
            if (d <= 0) throw new ArgumentException($"Parameter '{name}' has a non-positive dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
            length *= d;
        }
        if (offset < 0 || offset + length > values.Length || offset + length > gradients.Length)
            throw new ArgumentException($"Parameter '{name}' ({length} elements at offset {offset}) does not fit its arenas ({values.Length} values, {gradients.Length} gradients).");
        Length = (int)length;
        _values = values;
        _gradients = gradients;
        _offset = offset;
    }

    /// <summary>PyTorch-style name, e.g. <c>conv1.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Dimensions in PyTorch's layout (conv: F×C/g×K…, dense: units×in).</summary>
    public IReadOnlyList<int> Shape { get; }

    public int Length { get; }

    public Span<T> Value => new(_values, _offset, Length);

    public Span<T> Gradient => new(_gradients, _offset, Length);

    public override string ToString() => $"{Name} [{string.Join("x", Shape)}]";
}

/// <summary>A float32 parameter: what user-facing models, optimizers and checkpoints work with.</summary>
public sealed class Parameter : Parameter<float>
{
    public Parameter(string name, int[] shape, float[] values, float[] gradients, int offset)
        : base(name, shape, values, gradients, offset) { }
}
