using System;

namespace CnnDsl.Runtime;

/// <summary>Measures a model on a data set in inference mode (<see cref="IModel.Forward"/>).</summary>
public static class Evaluator
{
    /// <summary>Runs the whole data set in batches of up to <paramref name="batchSize"/>; the input is read straight
    /// from the data set and one output buffer is allocated per call.</summary>
    public static EvaluationResult Evaluate(IModel model, Dataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Must be positive.");
        if (model.InputSize != data.SampleSize)
            throw new ArgumentException($"{model.Name} takes {model.InputSize} inputs per example but the data set's images are "
                                        + $"{data.Channels}x{data.Height}x{data.Width} = {data.SampleSize}.");
        if (model.OutputSize < data.ClassCount)
            throw new ArgumentException($"{model.Name} has {model.OutputSize} outputs but the data set has {data.ClassCount} classes.");

        var confusion = new ConfusionMatrix(data.ClassCount, data.ClassNames);
        var output = new float[Math.Min(batchSize, Math.Max(1, data.Count)) * model.OutputSize];
        int size = data.SampleSize;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            var outputSpan = output.AsSpan(0, n * model.OutputSize);
            model.Forward(data.Images.AsSpan(start * size, n * size), outputSpan, n);
            confusion.AddBatch(outputSpan, data.Labels.AsSpan(start, n), n, model.OutputSize);
        }
        return new EvaluationResult(confusion.Accuracy, confusion);
    }
}
