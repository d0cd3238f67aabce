namespace CnnDsl.Runtime.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void Softmax_regression_learns_separable_blobs_and_reports_one_line_per_epoch()
    {
        var model = new SoftmaxRegression(4, 3);
        var train = new DataLoader(SoftmaxRegression.Blobs(600, seed: 1), batchSize: 32, seed: 5);
        var test = SoftmaxRegression.Blobs(300, seed: 2);
        var log = new StringWriter();
        var trainer = new Trainer(model, new Sgd(learningRate: 0.1f, momentum: 0.9f), new StepDecay(0.1f, stepSize: 2, gamma: 0.5f))
        {
            Progress = ProgressMode.Auto, // a log writer makes Auto plain
            Log = log,
            EvaluationBatchSize = 64,
        };

        var history = trainer.Fit(train, test, epochs: 4);

        Assert.Equal(4, history.Count);
        Assert.Equal(new[] { 0.1f, 0.1f, 0.05f, 0.05f }, history.Select(h => h.LearningRate));
        Assert.True(history[^1].TestAccuracy >= 0.97, $"test accuracy {history[^1].TestAccuracy}");
        Assert.True(history[^1].TrainAccuracy >= 0.95, $"train accuracy {history[^1].TrainAccuracy}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss);
        Assert.Equal(300, history[^1].TestConfusion!.Total);

        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("epoch 1/4  train loss ", lines[0]);
        Assert.Matches(@"^epoch 4/4  train loss \d\.\d{4}  train acc \d+\.\d\d%  test acc \d+\.\d\d%  lr 0\.05  \d+\.\d s", lines[3]);
    }

    [Fact]
    public void Resuming_runs_only_the_remaining_epochs()
    {
        var model = new SoftmaxRegression(4, 3);
        var history = new Trainer(model, new Adam(0.05f)) { Progress = ProgressMode.Silent }
            .Fit(new DataLoader(SoftmaxRegression.Blobs(90, 1), 30), null, epochs: 5, startEpoch: 3);
        Assert.Equal(new[] { 3, 4 }, history.Select(h => h.Epoch));
        Assert.Null(history[0].TestAccuracy);
    }

    [Theory]
    [InlineData(ProgressMode.Auto, false, false, null, ProgressMode.Live)]
    [InlineData(ProgressMode.Auto, false, true, null, ProgressMode.Plain)]
    [InlineData(ProgressMode.Auto, false, false, "true", ProgressMode.Plain)]
    [InlineData(ProgressMode.Auto, true, false, null, ProgressMode.Plain)]
    [InlineData(ProgressMode.Live, false, true, "1", ProgressMode.Live)]
    public void Auto_progress_is_live_only_on_an_interactive_terminal_outside_ci(ProgressMode requested, bool hasLog, bool redirected, string? ci, ProgressMode expected) =>
        Assert.Equal(expected, Trainer.ResolveMode(requested, hasLog, redirected, ci));

    [Fact]
    public void Live_mode_runs_without_a_terminal()
    {
        // Under the test runner stdout is redirected; Spectre.Console then renders plainly — it must not throw.
        var model = new SoftmaxRegression(4, 3);
        var history = new Trainer(model, new Sgd(0.1f)) { Progress = ProgressMode.Live }
            .Fit(new DataLoader(SoftmaxRegression.Blobs(60, 1), 20), SoftmaxRegression.Blobs(30, 2), epochs: 2);
        Assert.Equal(2, history.Count);
    }
}
