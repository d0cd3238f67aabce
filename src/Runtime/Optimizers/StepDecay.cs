using System;

namespace CnnDsl.Runtime;

/// <summary>PyTorch's <c>StepLR</c>: <c>baseRate · gamma^⌊epoch / stepSize⌋</c>.</summary>
public sealed class StepDecay : ILearningRateSchedule
{
    public StepDecay(float baseRate, int stepSize, float gamma = 0.1f)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "Must be positive.");
        BaseRate = baseRate;
        StepSize = stepSize;
        Gamma = gamma;
    }

    public float BaseRate { get; }
    public int StepSize { get; }
    public float Gamma { get; }

    public float LearningRateAt(int epoch) => (float)(BaseRate * Math.Pow(Gamma, Math.Max(0, epoch) / StepSize));
}
