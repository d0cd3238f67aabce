using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Max, average and power-average pooling over D×H×W windows (PyTorch MaxPoolNd, AvgPoolNd with
/// count_include_pad=True, LPPoolNd), for any mix of padding and ceil mode the geometry encodes.
/// </summary>
public static unsafe class Pooling
{
    // Windows that never leave the input (no padding, no ceil overhang): the common 2×2/2 and 3×3/2
    // layers. Their loops need no clipping, and planes are split over the worker pool.
    private static bool WindowsInside(in PoolGeometry g) =>
        g.PadDepth == 0 && g.PadHeight == 0 && g.PadWidth == 0
        && (g.OutDepth - 1) * g.StrideDepth + g.KernelDepth <= g.InDepth
        && (g.OutHeight - 1) * g.StrideHeight + g.KernelHeight <= g.InHeight
        && (g.OutWidth - 1) * g.StrideWidth + g.KernelWidth <= g.InWidth;

    private struct MaxJob<T> where T : unmanaged
    {
        public T* X, Y;
        public int* Argmax;
        public PoolGeometry Geometry;
        public int Planes, PlanesPerItem;
    }

    private static void MaxForwardInside<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int batch, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = batch * g.Channels;
        if (input.Length < (long)planes * g.InSpatial || output.Length < (long)planes * g.OutSpatial || argmax.Length < (long)planes * g.OutSpatial)
            throw new ArgumentException($"max pooling of batch {batch} × {g.Channels} planes needs {planes * g.InSpatial} inputs and {planes * g.OutSpatial} outputs and indices; got {input.Length}, {output.Length}, {argmax.Length}.");
        fixed (T* x = input, y = output)
        fixed (int* am = argmax)
        {
            // about 64 KB of input per item: enough to outweigh the hand-off, small enough to balance
            int perItem = Math.Max(1, 16384 / Math.Max(1, g.InSpatial));
            var job = new MaxJob<T> { X = x, Y = y, Argmax = am, Geometry = g, Planes = planes, PlanesPerItem = perItem };
            WorkerPool.For((planes + perItem - 1) / perItem, &MaxForwardPlanes<T>, &job);
        }
    }

    private static void MaxForwardPlanes<T>(void* context, int item, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref MaxJob<T> job = ref *(MaxJob<T>*)context;
        ref readonly PoolGeometry g = ref job.Geometry;
        int first = item * job.PlanesPerItem, end = Math.Min(job.Planes, first + job.PlanesPerItem);
        int ih = g.InHeight, iw = g.InWidth;
        for (int plane = first; plane < end; plane++)
        {
            T* x = job.X + (nint)plane * g.InSpatial;
            T* y = job.Y + (nint)plane * g.OutSpatial;
            int* am = job.Argmax + (nint)plane * g.OutSpatial;
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            for (int zh = 0; zh < g.OutHeight; zh++)
            {
                int rowStart = (zd * g.StrideDepth * ih + zh * g.StrideHeight) * iw;
                for (int zw = 0; zw < g.OutWidth; zw++, o++)
                {
                    // the first element seeds the search: identical to starting from −∞ with the
                    // "only −∞ names its first element" rule, and NaN still wins and later NaNs replace it
                    int start = rowStart + zw * g.StrideWidth;
                    T best = x[start];
                    int bestIndex = start;
                    for (int kd = 0; kd < g.KernelDepth; kd++)
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        int row = start + (kd * ih + kh) * iw;
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            T v = x[row + kw];
                            if (v > best || T.IsNaN(v)) { best = v; bestIndex = row + kw; }
                        }
                    }
                    y[o] = best;
                    am[o] = bestIndex;
                }
            }
        }
    }

    // input: N×C×D×H×W → output: N×C×OD×OH×OW (overwritten); argmax: like output, the winning input's
    // flat index d·H·W + h·W + w inside its channel plane. Padding reads as −∞, ties keep the first
    // element, and a NaN wins (later NaNs replace earlier ones), as in PyTorch's CPU kernel.
    public static void MaxForward<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int batch, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (WindowsInside(g))
        {
            MaxForwardInside(input, output, argmax, batch, g);
            return;
        }
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            Span<T> y = output.Slice(plane * outSpatial, outSpatial);
            Span<int> am = argmax.Slice(plane * outSpatial, outSpatial);
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                Window(zd, g.StrideDepth, g.PadDepth, g.KernelDepth, g.InDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    Window(zh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.InHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        Window(zw, g.StrideWidth, g.PadWidth, g.KernelWidth, g.InWidth, out int w0, out int w1);
                        T best = T.NegativeInfinity;
                        int bestIndex = -1;
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
                        // a window of only −∞ still names its first element, so backward has a target
                        if (bestIndex < 0 && d1 > d0 && h1 > h0 && w1 > w0) bestIndex = (d0 * g.InHeight + h0) * g.InWidth + w0;
                        y[o] = best;
                        am[o] = bestIndex;
                    }
                }
            }
        }
    }

    // outputGradient, argmax: N×C×OD×OH×OW; inputGradient: N×C×D×H×W (accumulated at each argmax).
    public static void MaxBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int batch, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            Span<T> dx = inputGradient.Slice(plane * inSpatial, inSpatial);
            int o0 = plane * outSpatial;
            for (int o = 0; o < outSpatial; o++)
            {
                int i = argmax[o0 + o];
                if (i >= 0) dx[i] += outputGradient[o0 + o];
            }
        }
    }

    // input: N×C×D×H×W → output: N×C×OD×OH×OW (overwritten). count_include_pad=True: the divisor is the
    // window clipped to the padded input (end = min(start + k, in + pad)), so padding counts but the
    // overhang that ceil mode adds past the padding does not, exactly like PyTorch.
    public static void AvgForward<T>(ReadOnlySpan<T> input, Span<T> output, int batch, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            Span<T> y = output.Slice(plane * outSpatial, outSpatial);
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                int cd = PaddedWindow(zd, g.StrideDepth, g.PadDepth, g.KernelDepth, g.InDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    int ch = PaddedWindow(zh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.InHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        int cw = PaddedWindow(zw, g.StrideWidth, g.PadWidth, g.KernelWidth, g.InWidth, out int w0, out int w1);
                        T sum = T.Zero;
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++) sum += x[rowStart + w];
                        }
                        y[o] = sum / T.CreateChecked(cd * ch * cw);
                    }
                }
            }
        }
    }

    // outputGradient: N×C×OD×OH×OW; inputGradient: N×C×D×H×W (accumulated): each window element gets dy/divisor.
    public static void AvgBackward<T>(ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int batch, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        for (int plane = 0; plane < planes; plane++)
        {
            Span<T> dx = inputGradient.Slice(plane * inSpatial, inSpatial);
            ReadOnlySpan<T> dy = outputGradient.Slice(plane * outSpatial, outSpatial);
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                int cd = PaddedWindow(zd, g.StrideDepth, g.PadDepth, g.KernelDepth, g.InDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    int ch = PaddedWindow(zh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.InHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        int cw = PaddedWindow(zw, g.StrideWidth, g.PadWidth, g.KernelWidth, g.InWidth, out int w0, out int w1);
                        T share = dy[o] / T.CreateChecked(cd * ch * cw);
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

    // input: N×C×D×H×W → output: N×C×OD×OH×OW (overwritten), torch.nn.LPPoolNd with p = norm:
    // y = (K · avg(x^p)) ^ (1/p), where avg is the count_include_pad average above (LPPool itself has
    // no padding, so the divisor is the window clipped to the input): a window cut short by ceil mode
    // is scaled up by K / clipped count, not a plain sum.
    public static void LpForward<T>(ReadOnlySpan<T> input, Span<T> output, int batch, in PoolGeometry g, T norm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        T volume = T.CreateChecked(g.KernelVolume), inverseNorm = T.One / norm;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            Span<T> y = output.Slice(plane * outSpatial, outSpatial);
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                int cd = PaddedWindow(zd, g.StrideDepth, g.PadDepth, g.KernelDepth, g.InDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    int ch = PaddedWindow(zh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.InHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        int cw = PaddedWindow(zw, g.StrideWidth, g.PadWidth, g.KernelWidth, g.InWidth, out int w0, out int w1);
                        T sum = T.Zero;
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++) sum += T.Pow(x[rowStart + w], norm);
                        }
                        y[o] = T.Pow(sum / T.CreateChecked(cd * ch * cw) * volume, inverseNorm);
                    }
                }
            }
        }
    }

    // input, output: as LpForward (output from the same forward); outputGradient like output;
    // inputGradient like input (accumulated). With S = K·avg(x^p), y = S^(1/p):
    // dy/dx_i = (K/count) · x_i^(p−1) · S^(1/p − 1) = (K/count) · x_i^(p−1) · y / S.
    // Where S = 0 PyTorch's chain produces 0·∞ = NaN; we return 0 there instead (the subgradient).
    public static void LpBackward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, int batch, in PoolGeometry g, T norm)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial, planes = batch * g.Channels;
        T volume = T.CreateChecked(g.KernelVolume), normMinusOne = norm - T.One;
        for (int plane = 0; plane < planes; plane++)
        {
            ReadOnlySpan<T> x = input.Slice(plane * inSpatial, inSpatial);
            ReadOnlySpan<T> y = output.Slice(plane * outSpatial, outSpatial);
            ReadOnlySpan<T> dy = outputGradient.Slice(plane * outSpatial, outSpatial);
            Span<T> dx = inputGradient.Slice(plane * inSpatial, inSpatial);
            int o = 0;
            for (int zd = 0; zd < g.OutDepth; zd++)
            {
                int cd = PaddedWindow(zd, g.StrideDepth, g.PadDepth, g.KernelDepth, g.InDepth, out int d0, out int d1);
                for (int zh = 0; zh < g.OutHeight; zh++)
                {
                    int ch = PaddedWindow(zh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.InHeight, out int h0, out int h1);
                    for (int zw = 0; zw < g.OutWidth; zw++, o++)
                    {
                        int cw = PaddedWindow(zw, g.StrideWidth, g.PadWidth, g.KernelWidth, g.InWidth, out int w0, out int w1);
                        T scale = volume / T.CreateChecked(cd * ch * cw);
                        // S recovered from y avoids a second pass over the window
                        T s = T.Pow(y[o], norm);
                        if (s == T.Zero || !T.IsFinite(s)) continue;
                        T factor = dy[o] * scale * y[o] / s;
                        for (int d = d0; d < d1; d++)
                        for (int h = h0; h < h1; h++)
                        {
                            int rowStart = (d * g.InHeight + h) * g.InWidth;
                            for (int w = w0; w < w1; w++) dx[rowStart + w] += factor * T.Pow(x[rowStart + w], normMinusOne);
                        }
                    }
                }
            }
        }
    }

    // Input range [lo, hi) covered by output position o along one axis, clipped to the input.
    private static void Window(int o, int stride, int pad, int kernel, int size, out int lo, out int hi)
    {
        int start = o * stride - pad;
        lo = Math.Max(start, 0);
        hi = Math.Min(start + kernel, size);
    }

    // As Window, and returns PyTorch's count_include_pad divisor factor for this axis: the window
    // clipped to the padded extent [−pad, size + pad).
    private static int PaddedWindow(int o, int stride, int pad, int kernel, int size, out int lo, out int hi)
    {
        int start = o * stride - pad;
        int end = Math.Min(start + kernel, size + pad);
        lo = Math.Max(start, 0);
        hi = Math.Min(end, size);
        return end - start;
    }
}
