using System;

namespace CnnDsl.Runtime;

/// <summary>
/// Linear warm-up in front of another schedule (PyTorch's <c>SequentialLR([LinearLR(start_factor), after],
/// milestones=[warmupEpochs])</c>): for epoch &lt; warmupEpochs the rate is
/// <c>after.LearningRateAt(0) · (startFactor + (1 − startFactor)·epoch/warmupEpochs)</c>; afterwards it is
/// <c>after.LearningRateAt(epoch − warmupEpochs)</c>, so the wrapped schedule starts its own clock after warm-up.
/// </summary>
public sealed class LinearWarmup : ILearningRateSchedule
{
    public LinearWarmup(ILearningRateSchedule after, int warmupEpochs, float startFactor = 0.1f)
    {
        After = after ?? throw new ArgumentNullException(nameof(after));
        if (warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "Must be non-negative.");
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "Must be in (0, 1].");
        WarmupEpochs = warmupEpochs;
        StartFactor = startFactor;
    }

    public ILearningRateSchedule After { get; }
    public int WarmupEpochs { get; }
    public float StartFactor { get; }

    public float LearningRateAt(int epoch)
    {
        if (epoch >= WarmupEpochs) return After.LearningRateAt(epoch - WarmupEpochs);
        float factor = StartFactor + (1 - StartFactor) * Math.Max(0, epoch) / WarmupEpochs;
        return After.LearningRateAt(0) * factor;
    }
}
