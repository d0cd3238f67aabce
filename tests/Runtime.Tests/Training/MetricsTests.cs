namespace CnnDsl.Runtime.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void Accuracy_uses_the_first_maximum_of_each_row()
    {
        float[] logits = [0.1f, 0.9f, 0.0f,   2, 2, 1,   -1, -3, -0.5f,   0, 0, 0];
        int[] labels = [1, 0, 2, 1];
        Assert.Equal(3, Metrics.CountCorrect(logits, labels, 4, 3));
        Assert.Equal(0.75, Metrics.Accuracy(logits, labels, 4));
    }

    [Fact]
    public void Confusion_matrix_counts_renders_and_gives_per_class_accuracy()
    {
        var m = new ConfusionMatrix(3, ["cat", "dog", "bird"]);
        m.AddBatch([1, 0, 0, /**/ 0, 1, 0, /**/ 1, 0, 0, /**/ 0, 0, 1, /**/ 0, 0, 1], [0, 1, 1, 2, 2], 5, 3);

        Assert.Equal(5, m.Total);
        Assert.Equal(0.8, m.Accuracy, 10);
        Assert.Equal(1, m[1, 0]);
        Assert.Equal(new[] { 1.0, 0.5, 1.0 }, m.PerClassAccuracy());
        string text = m.ToString();
        Assert.Contains("actual \\ predicted", text);
        Assert.Contains(" 1 dog", text);
        Assert.Contains("50.0%", text);
        Assert.Contains("overall accuracy 80.00% (4 of 5)", text);
    }

    [Fact]
    public void Evaluator_runs_forward_in_batches_over_the_whole_set()
    {
        var model = new SoftmaxRegression(4, 3);
        // fc.weight = identity on the first 3 features: predictions are the arg-max of features 0..2.
        for (int k = 0; k < 3; k++) model.Parameters[0].Value[k * 4 + k] = 1;
        var data = new Dataset([5, 0, 0, 0, /**/ 0, 5, 0, 0, /**/ 0, 0, 5, 0, /**/ 5, 0, 0, 0, /**/ 0, 0, 5, 0], [0, 1, 2, 1, 2], 1, 2, 2, 3);

        var result = Evaluator.Evaluate(model, data, batchSize: 2);

        Assert.Equal(0.8, result.Accuracy, 10);
        Assert.Equal(1, result.Confusion[1, 0]);
        Assert.Equal(3, model.ForwardCalls);
    }
}
