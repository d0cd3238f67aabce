using System;
using System.Globalization;
using System.IO;

namespace CnnDsl.Runtime;

/// <summary>One line per epoch, for logs and CI: <c>epoch 3/10  train loss 0.4123  train acc 85.12%  test acc 84.50%  lr 0.01  12.3 s</c>.</summary>
internal sealed class PlainTrainingReporter : ITrainingReporter
{
    private readonly TextWriter _writer;

    public PlainTrainingReporter(TextWriter writer) => _writer = writer;

    public void Run(Action training) => training();

    public void EpochStarted(int epoch, int totalEpochs, int batches) { }

    public void BatchCompleted(int batchesDone, double meanLoss, double accuracy, double imagesPerSecond, TimeSpan eta) { }

    public void Evaluating() { }

    public void EpochCompleted(EpochResult r, int totalEpochs)
    {
        var ci = CultureInfo.InvariantCulture;
        string test = r.TestAccuracy is double t ? (t * 100).ToString("F2", ci) + "%" : "-";
        _writer.WriteLine(string.Create(ci,
            $"epoch {r.Epoch + 1}/{totalEpochs}  train loss {r.TrainLoss:F4}  train acc {r.TrainAccuracy * 100:F2}%  test acc {test}  lr {r.LearningRate:G4}  {r.Seconds:F1} s  ({r.ImagesPerSecond:F0} img/s)"));
        _writer.Flush();
    }
}
