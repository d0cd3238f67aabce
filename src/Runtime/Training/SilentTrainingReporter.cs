using System;

namespace CnnDsl.Runtime;

internal sealed class SilentTrainingReporter : ITrainingReporter
{
    public void Run(Action training) => training();
    public void EpochStarted(int epoch, int totalEpochs, int batches) { }
    public void BatchCompleted(int batchesDone, double meanLoss, double accuracy, double imagesPerSecond, TimeSpan eta) { }
    public void Evaluating() { }
    public void EpochCompleted(EpochResult result, int totalEpochs) { }
}
