namespace CnnDsl.Runtime;

/// <summary>The same learning rate every epoch.</summary>
public sealed class ConstantLearningRate : ILearningRateSchedule
{
    public ConstantLearningRate(float learningRate) => LearningRate = learningRate;

    public float LearningRate { get; }

    public float LearningRateAt(int epoch) => LearningRate;
}
