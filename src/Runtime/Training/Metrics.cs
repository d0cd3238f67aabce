using System;

namespace CnnDsl.Runtime;

/// <summary>Classification metrics over a batch of logits (batch × classes, row-major).</summary>
public static class Metrics
{
    /// <summary>Index of the largest value (the first one on ties), as <c>torch.argmax</c>.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty) throw new ArgumentException("Cannot take the arg-max of an empty row.", nameof(row));
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /// <summary>How many of the first <paramref name="batchSize"/> rows have their arg-max at the label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, int classCount)
    {
        if (batchSize < 0 || labels.Length < batchSize || logits.Length < batchSize * classCount)
            throw new ArgumentException($"A batch of {batchSize} needs {batchSize} labels (got {labels.Length}) and {batchSize * classCount} logits (got {logits.Length}).");
        int correct = 0;
        for (int b = 0; b < batchSize; b++)
            if (ArgMax(logits.Slice(b * classCount, classCount)) == labels[b]) correct++;
        return correct;
    }

    /// <summary>Fraction of rows classified correctly (0..1); the class count is <c>logits.Length / batchSize</c>.</summary>
    public static double Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Must be positive.");
        return CountCorrect(logits, labels, batchSize, logits.Length / batchSize) / (double)batchSize;
    }
}
