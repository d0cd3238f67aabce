using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// An optimizer whose state (momentum buffers, moment estimates, step count) can be saved and restored, so that a
/// resumed run continues exactly where it stopped. State tensors are named after the parameter and PyTorch's state
/// key: <c>conv1.weight.momentum_buffer</c>, <c>conv1.weight.exp_avg</c>, <c>conv1.weight.exp_avg_sq</c>.
/// </summary>
public interface IStatefulOptimizer : IOptimizer
{
    /// <summary>Short name of the algorithm (<c>sgd</c>, <c>adam</c>, <c>adamw</c>), stored with saved state.</summary>
    string Algorithm { get; }

    /// <summary>Number of steps taken (PyTorch's <c>step</c>); drives Adam's bias correction and SGD's first-step momentum.</summary>
    long StepCount { get; set; }

    /// <summary>Binds the optimizer to <paramref name="parameters"/> and allocates its state (zeros) if not done yet.
    /// <see cref="IOptimizer.Step"/> does this on first use; call it before loading saved state into a fresh optimizer.</summary>
    void InitializeState(IReadOnlyList<Parameter> parameters);

    /// <summary>The state tensors (views of the buffers the optimizer updates); empty before <see cref="InitializeState"/>.</summary>
    IReadOnlyList<StateTensor> State { get; }
}
