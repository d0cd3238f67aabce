using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CnnDsl.Runtime;

/// <summary>
/// Counts of (actual class, predicted class) pairs. Rows are actual classes, columns predictions;
/// <see cref="ToString"/> renders a table with per-class accuracy (recall).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    public ConfusionMatrix(int classCount, IReadOnlyList<string>? classNames = null)
    {
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Must be positive.");
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{classNames.Count} class names given for {classCount} classes.", nameof(classNames));
        ClassCount = classCount;
        ClassNames = classNames ?? Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        _counts = new long[classCount * classCount];
    }

    public int ClassCount { get; }
    public IReadOnlyList<string> ClassNames { get; }

    public long this[int actual, int predicted] => _counts[actual * ClassCount + predicted];

    public long Total { get; private set; }

    public long Correct { get; private set; }

    /// <summary>Overall accuracy, 0..1 (0 when empty).</summary>
    public double Accuracy => Total == 0 ? 0 : Correct / (double)Total;

    public void Add(int actual, int predicted)
    {
        if ((uint)actual >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(actual), actual, $"Class must be in 0..{ClassCount - 1}.");
        if ((uint)predicted >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"Class must be in 0..{ClassCount - 1}.");
        _counts[actual * ClassCount + predicted]++;
        Total++;
        if (actual == predicted) Correct++;
    }

    /// <summary>Adds a batch of logits (batch × <paramref name="outputSize"/>; the first <see cref="ClassCount"/> are the classes).</summary>
    public void AddBatch(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, int outputSize)
    {
        for (int b = 0; b < batchSize; b++)
            Add(labels[b], Metrics.ArgMax(logits.Slice(b * outputSize, ClassCount)));
    }

    /// <summary>Examples of <paramref name="actual"/> class seen.</summary>
    public long Support(int actual)
    {
        long sum = 0;
        for (int p = 0; p < ClassCount; p++) sum += this[actual, p];
        return sum;
    }

    /// <summary>Accuracy on examples of one class (recall), 0..1; NaN when the class was not seen.</summary>
    public double ClassAccuracy(int actual)
    {
        long support = Support(actual);
        return support == 0 ? double.NaN : this[actual, actual] / (double)support;
    }

    public IReadOnlyList<double> PerClassAccuracy() => Enumerable.Range(0, ClassCount).Select(ClassAccuracy).ToArray();

    public void Clear()
    {
        Array.Clear(_counts);
        Total = Correct = 0;
    }

    /// <summary>A fixed-width table: one row per actual class, one column per predicted class (by index), then the
    /// class's accuracy; a legend of indices to names and the overall accuracy follow.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        int nameWidth = Math.Max("actual \\ predicted".Length, ClassNames.Max(n => n.Length) + 5);
        int cell = Math.Max(4, _counts.DefaultIfEmpty().Max().ToString(ci).Length + 1);
        var sb = new StringBuilder();
        sb.Append("actual \\ predicted".PadRight(nameWidth));
        for (int p = 0; p < ClassCount; p++) sb.Append(p.ToString(ci).PadLeft(cell));
        sb.Append("   accuracy").AppendLine();
        for (int a = 0; a < ClassCount; a++)
        {
            sb.Append($"{a,2} {ClassNames[a]}".PadRight(nameWidth));
            for (int p = 0; p < ClassCount; p++) sb.Append(this[a, p].ToString(ci).PadLeft(cell));
            double acc = ClassAccuracy(a);
            sb.Append(double.IsNaN(acc) ? "          -" : (acc * 100).ToString("F1", ci).PadLeft(10) + "%").AppendLine();
        }
        sb.Append(ci, $"overall accuracy {Accuracy * 100:F2}% ({Correct} of {Total})").AppendLine();
        return sb.ToString();
    }
}
