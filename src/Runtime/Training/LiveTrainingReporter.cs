using System;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace CnnDsl.Runtime;

/// <summary>A Spectre.Console progress display: one bar per epoch whose description shows the running loss,
/// accuracy, images/s and the ETA of the whole run; finished epochs stay on screen with their test accuracy.</summary>
internal sealed class LiveTrainingReporter : ITrainingReporter
{
    private static readonly long RefreshTicks = Stopwatch.Frequency / 10;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private long _lastRefresh;
    private int _epoch, _totalEpochs;

    public void Run(Action training) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 16 },
                     new PercentageColumn())
            .Start(context =>
            {
                _context = context;
                training();
            });

    public void EpochStarted(int epoch, int totalEpochs, int batches)
    {
        _epoch = epoch;
        _totalEpochs = totalEpochs;
        _task = _context!.AddTask(Prefix() + "starting", maxValue: batches);
        _lastRefresh = 0;
    }

    public void BatchCompleted(int batchesDone, double meanLoss, double accuracy, double imagesPerSecond, TimeSpan eta)
    {
        long now = Stopwatch.GetTimestamp();
        if (now - _lastRefresh < RefreshTicks && batchesDone < _task!.MaxValue) return;
        _lastRefresh = now;
        _task!.Value = batchesDone;
        _task.Description = Prefix() + string.Create(CultureInfo.InvariantCulture,
            $"loss {meanLoss:F4} acc {accuracy * 100:F2}% {imagesPerSecond:F0} img/s ETA {Format(eta)}");
    }

    public void Evaluating()
    {
        _task!.Description += " [grey]testing…[/]";
    }

    public void EpochCompleted(EpochResult r, int totalEpochs)
    {
        string test = r.TestAccuracy is double t ? (t * 100).ToString("F2", CultureInfo.InvariantCulture) + "%" : "-";
        _task!.Value = _task.MaxValue;
        _task.Description = Prefix() + string.Create(CultureInfo.InvariantCulture,
            $"loss {r.TrainLoss:F4} acc {r.TrainAccuracy * 100:F2}% [green]test {test}[/] {r.Seconds:F1} s");
        _task.StopTask();
    }

    private string Prefix() => string.Create(CultureInfo.InvariantCulture, $"epoch {_epoch + 1}/{_totalEpochs} ");

    private static string Format(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
