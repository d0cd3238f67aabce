using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Softmax over the channel axis of N×C×S tensors: the C elements of one softmax are S apart
/// (S = 1 for flat features). Shifted by the maximum so exp never overflows.
/// </summary>
public static class Softmax
{
    // x, y: N×C×S (y overwritten).
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        for (int s = 0; s < spatial; s++)
        {
            int o = n * channels * spatial + s;
            T max = T.NegativeInfinity;
            for (int c = 0; c < channels; c++) max = T.Max(max, x[o + c * spatial]);
            T sum = T.Zero;
            for (int c = 0; c < channels; c++)
            {
                T e = T.Exp(x[o + c * spatial] - max);
                y[o + c * spatial] = e;
                sum += e;
            }
            T inv = T.One / sum;
            for (int c = 0; c < channels; c++) y[o + c * spatial] *= inv;
        }
    }

    // y: the forward output, dy, dx: N×C×S; dx += y ⊙ (dy − Σ_c dy·y).
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        for (int s = 0; s < spatial; s++)
        {
            int o = n * channels * spatial + s;
            T dot = T.Zero;
            for (int c = 0; c < channels; c++) dot += dy[o + c * spatial] * y[o + c * spatial];
            for (int c = 0; c < channels; c++) dx[o + c * spatial] += y[o + c * spatial] * (dy[o + c * spatial] - dot);
        }
    }
}

/// <summary>Log-softmax over the channel axis, same layout as <see cref="Softmax"/>.</summary>
public static class LogSoftmax
{
    // x, y: N×C×S (y overwritten); y = x − max − log Σ e^(x − max).
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        for (int s = 0; s < spatial; s++)
        {
            int o = n * channels * spatial + s;
            T max = T.NegativeInfinity;
            for (int c = 0; c < channels; c++) max = T.Max(max, x[o + c * spatial]);
            T sum = T.Zero;
            for (int c = 0; c < channels; c++) sum += T.Exp(x[o + c * spatial] - max);
            T shift = max + T.Log(sum);
            for (int c = 0; c < channels; c++) y[o + c * spatial] = x[o + c * spatial] - shift;
        }
    }

    // y: the forward output, dy, dx: N×C×S; dx += dy − e^y · Σ_c dy.
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        for (int s = 0; s < spatial; s++)
        {
            int o = n * channels * spatial + s;
            T sum = T.Zero;
            for (int c = 0; c < channels; c++) sum += dy[o + c * spatial];
            for (int c = 0; c < channels; c++) dx[o + c * spatial] += dy[o + c * spatial] - T.Exp(y[o + c * spatial]) * sum;
        }
    }
}
