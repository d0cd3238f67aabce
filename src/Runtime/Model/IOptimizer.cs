using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// Updates parameters from their gradients. Implementations keep per-parameter state (momentum,
/// moments) allocated on the first <see cref="Step"/> and reused afterwards, so a step allocates nothing.
/// </summary>
public interface IOptimizer
{
    /// <summary>Current learning rate; schedules set it between steps.</summary>
    float LearningRate { get; set; }

    void Step(IReadOnlyList<Parameter> parameters);
}
