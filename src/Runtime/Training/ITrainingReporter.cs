using System;

namespace CnnDsl.Runtime;

/// <summary>Receives the <see cref="Trainer"/>'s progress. <see cref="Run"/> wraps the whole training run (a live
/// display needs to own the console while it lasts); the other members are called from inside it.</summary>
internal interface ITrainingReporter
{
    void Run(Action training);

    void EpochStarted(int epoch, int totalEpochs, int batches);

    /// <summary>After each step: running mean loss and accuracy of the epoch so far.</summary>
    void BatchCompleted(int batchesDone, double meanLoss, double accuracy, double imagesPerSecond, TimeSpan eta);

    void Evaluating();

    void EpochCompleted(EpochResult result, int totalEpochs);
}
