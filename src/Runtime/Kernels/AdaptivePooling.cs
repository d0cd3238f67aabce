using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Adaptive max/average pooling with PyTorch's bins: output i along an axis of input size n and
/// output size m covers [floor(i·n/m), ceil((i+1)·n/m)), so bins may overlap or differ in size.
/// </summary>
public static class AdaptivePooling
{
    // input: N×C×D×H×W → output: N×C×OD×OH×OW (overwritten); argmax: like output, flat index
    // d·H·W + h·W + w inside the channel plane. Ties keep the first element, NaN wins.
    public static void MaxForward<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int batch, in AdaptivePoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            int o = plane * outSpatial;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                Bin(zd, g.InDepth, g.OutDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    Bin(zh, g.InHeight, g.OutHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        Bin(zw, g.InWidth, g.OutWidth, out int w0, out int w1);
                        int bestIndex = (d0 * g.InHeight + h0) * g.InWidth + w0;
                        T best = x[bestIndex];
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++)
                            {
                                T v = x[rowStart + w];
                                if (v > best || T.IsNaN(v)) { best = v; bestIndex = rowStart + w; }
                            }
                        }
                        output[o] = best;
                        argmax[o] = bestIndex;
                    }
                }
            }
        }
    }

    // outputGradient, argmax: N×C×OD×OH×OW; inputGradient: N×C×D×H×W (accumulated at each argmax).
    public static void MaxBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int batch, in AdaptivePoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            Span<T> dx = inputGradient.Slice(plane * inSpatial, inSpatial);
            int o0 = plane * outSpatial;
            for (int o = 0; o < outSpatial; o++) dx[argmax[o0 + o]] += outputGradient[o0 + o];
        }
    }

    // input: N×C×D×H×W → output: N×C×OD×OH×OW (overwritten), the mean of each bin.
    public static void AvgForward<T>(ReadOnlySpan<T> input, Span<T> output, int batch, in AdaptivePoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            int o = plane * outSpatial;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                Bin(zd, g.InDepth, g.OutDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    Bin(zh, g.InHeight, g.OutHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        Bin(zw, g.InWidth, g.OutWidth, out int w0, out int w1);
                        T sum = T.Zero;
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++) sum += x[rowStart + w];
                        }
                        output[o] = sum / T.CreateChecked((d1 - d0) * (h1 - h0) * (w1 - w0));
                    }
                }
            }
        }
    }

    // outputGradient: N×C×OD×OH×OW; inputGradient: N×C×D×H×W (accumulated): dy / bin size to each bin element.
    public static void AvgBackward<T>(ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int batch, in AdaptivePoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            Span<T> dx = inputGradient.Slice(plane * inSpatial, inSpatial);
            int o = plane * outSpatial;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                Bin(zd, g.InDepth, g.OutDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    Bin(zh, g.InHeight, g.OutHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        Bin(zw, g.InWidth, g.OutWidth, out int w0, out int w1);
                        T share = outputGradient[o] / T.CreateChecked((d1 - d0) * (h1 - h0) * (w1 - w0));
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++) dx[rowStart + w] += share;
                        }
                    }
                }
            }
        }
    }

    // Bin i of m over an axis of n: [floor(i·n/m), ceil((i+1)·n/m)).
    private static void Bin(int i, int n, int m, out int lo, out int hi)
    {
        lo = i * n / m;
        hi = ((i + 1) * n + m - 1) / m;
    }
}
