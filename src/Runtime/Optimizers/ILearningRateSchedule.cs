namespace CnnDsl.Runtime;

/// <summary>
/// A learning rate as a function of the epoch. Schedules are evaluated per EPOCH (0-based): the
/// <see cref="Trainer"/> sets <see cref="IOptimizer.LearningRate"/> to <c>LearningRateAt(epoch)</c> before the
/// epoch's first step, as PyTorch's <c>scheduler.step()</c> called once per epoch does. Warm-up lengths are in epochs.
/// </summary>
public interface ILearningRateSchedule
{
    float LearningRateAt(int epoch);
}
