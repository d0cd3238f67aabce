using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Element-wise activations. Every pair has the same shape of signature: forward (x, y[, arg]),
/// backward (x, y, dy, dx[, arg]) over spans of one length; forward overwrites y, backward
/// accumulates into dx. Derivatives at kinks follow PyTorch (relu'(0) = 0, leaky relu'(0) = slope).
/// </summary>
public static class Activations
{
    // x, y: any shape, same length.
    public static void ReluForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Epilogues.Relu(x, y.Slice(0, x.Length));
    }

    public static void ReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // PyTorch's threshold_backward tests the result: y ≤ 0 passes no gradient (a NaN y passes it)
        Epilogues.AccumulateReluGradient(y, dy, dx);
    }

    public static void LeakyReluForward<T>(ReadOnlySpan<T> x, Span<T> y, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : x[i] * slope;
    }

    public static void LeakyReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, T slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : dy[i] * slope;
    }

    // y = x for x > 0, alpha·(e^x − 1) otherwise.
    public static void EluForward<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? x[i] : alpha * (T.Exp(x[i]) - T.One);
    }

    public static void EluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // for x ≤ 0, d/dx alpha·(e^x − 1) = alpha·e^x = y + alpha: no second exp
        for (int i = 0; i < dy.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : dy[i] * (y[i] + alpha);
    }

    public static void SigmoidForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // split by sign so e^x never overflows to ∞/∞
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            if (v >= T.Zero) y[i] = T.One / (T.One + T.Exp(-v));
            else { T e = T.Exp(v); y[i] = e / (T.One + e); }
        }
    }

    public static void SigmoidBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += dy[i] * y[i] * (T.One - y[i]);
    }

    public static void TanhForward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    public static void TanhBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += dy[i] * (T.One - y[i] * y[i]);
    }

    // x, y: N×C×spatial; slopes: 1 (one for all) or C (one per channel). y = x for x > 0, a·x otherwise.
    public static void PReluForward<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> slopes, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPRelu(x.Length, y.Length, slopes.Length, batch, channels, spatial, nameof(y));
        for (int n = 0, i = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                T a = slopes[slopes.Length == 1 ? 0 : c];
                for (int s = 0; s < spatial; s++, i++) y[i] = x[i] > T.Zero ? x[i] : a * x[i];
            }
    }

    // dx (or empty: skip) += dy for x > 0, a·dy otherwise; each slope's gradient += Σ dy·x over its x ≤ 0
    // (PyTorch's prelu backward), summed in element order.
    public static void PReluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, ReadOnlySpan<T> slopes, Span<T> slopeGradient, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckPRelu(x.Length, dy.Length, slopes.Length, batch, channels, spatial, nameof(dy));
        if (!dx.IsEmpty && dx.Length < x.Length)
            throw new ArgumentException($"prelu's input gradient has {dx.Length} elements, fewer than its input's {x.Length}.", nameof(dx));
        if (slopeGradient.Length != slopes.Length)
            throw new ArgumentException($"prelu has {slopes.Length} slopes but {slopeGradient.Length} slope gradients.", nameof(slopeGradient));
        for (int n = 0, i = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                int k = slopes.Length == 1 ? 0 : c;
                T a = slopes[k], sum = T.Zero;
                for (int s = 0; s < spatial; s++, i++)
                {
                    bool positive = x[i] > T.Zero;
                    if (!dx.IsEmpty) dx[i] += positive ? dy[i] : a * dy[i];
                    if (!positive) sum += dy[i] * x[i];
                }
                slopeGradient[k] += sum;
            }
    }

    private static void CheckPRelu(int x, int other, int slopes, int batch, int channels, int spatial, string otherName)
    {
        long elements = (long)batch * channels * spatial;
        if (x < elements || other < elements)
            throw new ArgumentException($"prelu of batch {batch} × {channels} channels × {spatial} = {elements} elements got {x} inputs and {other} in {otherName}.");
        if (slopes != 1 && slopes != channels)
            throw new ArgumentException($"prelu has {slopes} slopes; it needs 1 or one per channel ({channels}).", "slopes");
    }
}
