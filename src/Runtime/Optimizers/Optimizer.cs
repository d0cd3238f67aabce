using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnDsl.Runtime;

/// <summary>
/// Shared machinery of the optimizers: binds to one parameter list on the first step, allocates one buffer per
/// parameter and state key, and checks on every later step (without allocating) that it gets the same parameters.
/// </summary>
public abstract class Optimizer : IStatefulOptimizer
{
    private Parameter[]? _bound;
    private StateTensor[] _state = Array.Empty<StateTensor>();
    private float[][] _buffers = Array.Empty<float[]>();

    protected Optimizer(float learningRate)
    {
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Must be non-negative.");
        LearningRate = learningRate;
    }

    public float LearningRate { get; set; }
    public abstract string Algorithm { get; }
    public long StepCount { get; set; }
    public IReadOnlyList<StateTensor> State => _state;

    /// <summary>PyTorch's state keys kept per parameter (e.g. <c>exp_avg</c>); empty for plain SGD.</summary>
    protected abstract IReadOnlyList<string> StateKeys { get; }

    public void InitializeState(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (_bound is not null) { CheckSameParameters(parameters); return; }
        var keys = StateKeys;
        var bound = parameters.ToArray();
        var buffers = new float[bound.Length * keys.Count][];
        var state = new StateTensor[buffers.Length];
        for (int p = 0; p < bound.Length; p++)
            for (int k = 0; k < keys.Count; k++)
            {
                var buffer = new float[bound[p].Length];
                buffers[p * keys.Count + k] = buffer;
                state[p * keys.Count + k] = new StateTensor($"{bound[p].Name}.{keys[k]}", bound[p].Shape.ToArray(), buffer, 0);
            }
        _bound = bound;
        _buffers = buffers;
        _state = state;
    }

    public void Step(IReadOnlyList<Parameter> parameters)
    {
        InitializeState(parameters);
        StepCount++;
        int keys = StateKeys.Count;
        for (int p = 0; p < _bound!.Length; p++)
            Update(_bound[p], _buffers.AsSpan(p * keys, keys));
    }

    /// <summary>Updates one parameter in place from its gradient; <paramref name="state"/> holds its buffers in
    /// <see cref="StateKeys"/> order. <see cref="StepCount"/> already counts this step (1 on the first).</summary>
    protected abstract void Update(Parameter parameter, ReadOnlySpan<float[]> state);

    private void CheckSameParameters(IReadOnlyList<Parameter> parameters)
    {
        bool same = parameters.Count == _bound!.Length;
        for (int i = 0; same && i < _bound.Length; i++) same = ReferenceEquals(parameters[i], _bound[i]);
        if (same) return;
        throw new InvalidOperationException(
            $"This {Algorithm} optimizer keeps state for the {_bound.Length} parameters it first stepped "
            + $"({Describe(_bound)}) but was now given {parameters.Count} ({Describe(parameters)}). "
            + "Use one optimizer per model and pass the same Parameters list every step.");
    }

    private static string Describe(IReadOnlyList<Parameter> ps) =>
        ps.Count <= 4 ? string.Join(", ", ps.Select(p => p.Name)) : string.Join(", ", ps.Take(3).Select(p => p.Name)) + ", …";
}
