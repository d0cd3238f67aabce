using System;

namespace CnnDsl.Runtime;

/// <summary>PyTorch's <c>CosineAnnealingLR</c> (closed form, no restarts):
/// <c>min + (base − min)·(1 + cos(π·epoch/totalEpochs))/2</c>, held at <c>min</c> after <c>totalEpochs</c>.</summary>
public sealed class CosineAnnealing : ILearningRateSchedule
{
    public CosineAnnealing(float baseRate, int totalEpochs, float minRate = 0)
    {
        if (totalEpochs <= 0) throw new ArgumentOutOfRangeException(nameof(totalEpochs), totalEpochs, "Must be positive.");
        BaseRate = baseRate;
        TotalEpochs = totalEpochs;
        MinRate = minRate;
    }

    public float BaseRate { get; }
    public int TotalEpochs { get; }
    public float MinRate { get; }

    public float LearningRateAt(int epoch)
    {
        int e = Math.Clamp(epoch, 0, TotalEpochs);
        return (float)(MinRate + (BaseRate - MinRate) * (1 + Math.Cos(Math.PI * e / TotalEpochs)) / 2);
    }
}
