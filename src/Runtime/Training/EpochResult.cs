namespace CnnDsl.Runtime;

/// <summary>One epoch of training as <see cref="Trainer.Fit"/> reports it.</summary>
/// <param name="Epoch">0-based epoch index (displayed 1-based).</param>
/// <param name="LearningRate">The learning rate used during the epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's examples.</param>
/// <param name="TrainAccuracy">Training accuracy (0..1) from each step's logits, i.e. while the weights moved.</param>
/// <param name="TestAccuracy">Accuracy (0..1) on the test set after the epoch; null when no test set was given.</param>
/// <param name="TestConfusion">The test set's confusion matrix; null when no test set was given.</param>
/// <param name="Seconds">Wall time of the epoch including evaluation.</param>
/// <param name="ImagesPerSecond">Training throughput (examples per second of training steps).</param>
public sealed record EpochResult(int Epoch, float LearningRate, double TrainLoss, double TrainAccuracy,
                                 double? TestAccuracy, ConfusionMatrix? TestConfusion, double Seconds, double ImagesPerSecond);
