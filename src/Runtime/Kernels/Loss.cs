using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Softmax cross-entropy fused with its gradient, and accuracy counting.</summary>
public static class Loss
{
    // logits: B×K, labels: B, logitsGradient: B×K (overwritten with (softmax − onehot)/B).
    // Returns the mean over the batch of −log softmax(logits)[label]. Every label is checked before
    // anything is written, so a bad batch leaves the gradient untouched.
    public static T SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> logitsGradient, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        {
            int label = labels[n];
            if ((uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label,
                    $"Label {label} of example {n} is outside 0..{classes - 1} (the network has {classes} classes).");
        }
        T total = T.Zero, invBatch = T.One / T.CreateChecked(batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> z = logits.Slice(n * classes, classes);
            Span<T> dz = logitsGradient.Slice(n * classes, classes);
            T max = T.NegativeInfinity;
            for (int k = 0; k < classes; k++) max = T.Max(max, z[k]);
            T sum = T.Zero;
            for (int k = 0; k < classes; k++) sum += T.Exp(z[k] - max);
            T logSum = T.Log(sum);
            int label = labels[n];
            total += logSum - (z[label] - max);
            T scale = invBatch / sum;
            for (int k = 0; k < classes; k++) dz[k] = T.Exp(z[k] - max) * scale;
            dz[label] -= invBatch;
        }
        return total * invBatch;
    }

    // logits: B×K, labels: B. Examples whose first maximal logit is the label.
    public static int CountCorrect<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int correct = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> z = logits.Slice(n * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++) if (z[k] > z[best]) best = k;
            if (best == labels[n]) correct++;
        }
        return correct;
    }
}
