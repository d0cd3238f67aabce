using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;

namespace CnnDsl.Runtime;

/// <summary>
/// Runs epochs of <see cref="IModel.TrainStep"/> over a <see cref="DataLoader"/>: sets the learning rate from the
/// schedule at the start of each epoch, tracks loss and accuracy (from <see cref="IModel.LastOutput"/>), evaluates
/// on a test set after each epoch and reports progress (<see cref="ProgressMode"/>). Returns the per-epoch history.
/// </summary>
public sealed class Trainer
{
    private readonly IModel _model;
    private readonly IOptimizer _optimizer;

    public Trainer(IModel model, IOptimizer optimizer, ILearningRateSchedule? schedule = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Schedule = schedule;
    }

    public ILearningRateSchedule? Schedule { get; }

    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where plain per-epoch lines go; null means standard output. Setting it makes
    /// <see cref="ProgressMode.Auto"/> choose <see cref="ProgressMode.Plain"/>.</summary>
    public TextWriter? Log { get; init; }

    public int EvaluationBatchSize { get; init; } = 1000;

    /// <summary>Trains epochs <paramref name="startEpoch"/> … <paramref name="epochs"/> − 1 (so a resumed run passes the
    /// epochs already completed as <paramref name="startEpoch"/>) and returns their results.</summary>
    /// <param name="train">The training batches; each epoch calls <see cref="DataLoader.StartEpoch"/> with its index.</param>
    /// <param name="test">Evaluated after every epoch; null to skip.</param>
    /// <param name="epochs">Total number of epochs of the run.</param>
    /// <param name="startEpoch">First epoch to run (0 for a fresh run).</param>
    /// <param name="epochCompleted">Called after each epoch (e.g. to save a <see cref="TrainingCheckpoint"/>).</param>
    public IReadOnlyList<EpochResult> Fit(DataLoader train, Dataset? test, int epochs, int startEpoch = 0,
                                          Action<EpochResult>? epochCompleted = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 0 || startEpoch < 0 || startEpoch > epochs)
            throw new ArgumentOutOfRangeException(nameof(startEpoch), $"Need 0 <= startEpoch ({startEpoch}) <= epochs ({epochs}).");
        if (_model.InputSize != train.Data.SampleSize)
            throw new ArgumentException($"{_model.Name} takes {_model.InputSize} inputs per example but the training images have {train.Data.SampleSize}.");

        var history = new List<EpochResult>(epochs - startEpoch);
        var reporter = CreateReporter(ResolveMode(Progress, Log is not null, Console.IsOutputRedirected,
                                                  Environment.GetEnvironmentVariable("CI")));
        reporter.Run(() =>
        {
            for (int epoch = startEpoch; epoch < epochs; epoch++)
            {
                var result = RunEpoch(train, test, epoch, epochs, reporter);
                history.Add(result);
                reporter.EpochCompleted(result, epochs);
                epochCompleted?.Invoke(result);
            }
        });
        return history;
    }

    private EpochResult RunEpoch(DataLoader train, Dataset? test, int epoch, int epochs, ITrainingReporter reporter)
    {
        if (Schedule is not null) _optimizer.LearningRate = Schedule.LearningRateAt(epoch);
        float learningRate = _optimizer.LearningRate;
        int outputs = _model.OutputSize;
        reporter.EpochStarted(epoch, epochs, train.BatchCount);

        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long seen = 0, correct = 0;
        train.StartEpoch(epoch);
        while (train.MoveNext())
        {
            int n = train.BatchSize;
            float loss = _model.TrainStep(train.Input, train.Labels, n, _optimizer);
            if (float.IsNaN(loss) || float.IsInfinity(loss))
                throw new InvalidOperationException($"The loss became {loss} at epoch {epoch + 1}, batch {train.BatchIndex + 1} (learning rate {learningRate}). Try a smaller learning rate.");
            lossSum += (double)loss * n;
            correct += Metrics.CountCorrect(_model.LastOutput, train.Labels, n, outputs);
            seen += n;

            double elapsed = clock.Elapsed.TotalSeconds;
            double rate = seen / Math.Max(elapsed, 1e-9);
            long remaining = (train.ExamplesPerEpoch - seen) + (long)train.ExamplesPerEpoch * (epochs - epoch - 1);
            reporter.BatchCompleted(train.BatchIndex + 1, lossSum / seen, correct / (double)seen, rate,
                                    TimeSpan.FromSeconds(Math.Min(remaining / rate, TimeSpan.MaxValue.TotalSeconds / 2)));
        }
        double trainSeconds = clock.Elapsed.TotalSeconds;

        EvaluationResult? evaluation = null;
        if (test is not null)
        {
            reporter.Evaluating();
            evaluation = Evaluator.Evaluate(_model, test, EvaluationBatchSize);
        }
        return new EpochResult(epoch, learningRate, seen == 0 ? double.NaN : lossSum / seen, seen == 0 ? double.NaN : correct / (double)seen,
                               evaluation?.Accuracy, evaluation?.Confusion, clock.Elapsed.TotalSeconds, seen / Math.Max(trainSeconds, 1e-9));
    }

    /// <summary>Auto means Plain when output is redirected, the <c>CI</c> variable is set or a log writer was given;
    /// otherwise Live.</summary>
    internal static ProgressMode ResolveMode(ProgressMode requested, bool hasLog, bool outputRedirected, string? ciVariable)
    {
        if (requested != ProgressMode.Auto) return requested;
        return hasLog || outputRedirected || !string.IsNullOrEmpty(ciVariable) ? ProgressMode.Plain : ProgressMode.Live;
    }

    private ITrainingReporter CreateReporter(ProgressMode mode) => mode switch
    {
        ProgressMode.Live => new LiveTrainingReporter(),
        ProgressMode.Silent => new SilentTrainingReporter(),
        _ => new PlainTrainingReporter(Log ?? Console.Out),
    };
}
