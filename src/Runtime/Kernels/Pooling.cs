using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Max, average and power-average pooling over D×H×W windows (PyTorch MaxPoolNd, AvgPoolNd with
/// count_include_pad=True, LPPoolNd), for any mix of padding and ceil mode the geometry encodes.
/// </summary>
public static unsafe class Pooling
{
    // Windows that never leave the input (no padding, no ceil overhang): the common 2×2/2 and 3×3/2
    // layers. Their loops need no clipping, and planes are split over the worker pool.
    internal static bool WindowsInside(in PoolGeometry g) =>
        CnnDsl.Planning.PoolFusion.WindowsInside(g.PadDepth, g.OutDepth, g.StrideDepth, g.KernelDepth, g.InDepth)
        && CnnDsl.Planning.PoolFusion.WindowsInside(g.PadHeight, g.OutHeight, g.StrideHeight, g.KernelHeight, g.InHeight)
        && CnnDsl.Planning.PoolFusion.WindowsInside(g.PadWidth, g.OutWidth, g.StrideWidth, g.KernelWidth, g.InWidth);

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForwardPlanes<T>(void* context, int item, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref MaxJob<T> job = ref *(MaxJob<T>*)context;
        // locals, not fields through the job pointer: the stores through y and am could alias it, so
        // every field read in the loop would be a reload
        PoolGeometry g = job.Geometry;
        int first = item * job.PlanesPerItem, end = Math.Min(job.Planes, first + job.PlanesPerItem);
        for (int plane = first; plane < end; plane++)
            MaxPlaneInside(job.X + (nint)plane * g.InSpatial, job.Y + (nint)plane * g.OutSpatial, job.Argmax + (nint)plane * g.OutSpatial, g);
    }

    /// <summary>One plane of a max pooling whose windows never leave the input
    /// (<see cref="WindowsInside"/>); argmax is the flat index in the plane. A convolution with a fused
    /// pooling calls this on each output plane while it is still in cache.</summary>
    internal static void MaxPlaneInside<T>(T* x, T* y, int* am, in PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
        => MaxPlaneRows(x, y, am, g, 0, g.OutHeight);

    /// <summary>Output rows [firstRow, endRow) of every depth slice of <see cref="MaxPlaneInside"/>: a
    /// convolution split over threads by bands of rows pools each band as soon as it is computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaxPlaneRows<T>(T* x, T* y, int* am, in PoolGeometry g, int firstRow, int endRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ih = g.InHeight, iw = g.InWidth, od = g.OutDepth, oh = g.OutHeight, ow = g.OutWidth;
        int kd = g.KernelDepth, kh = g.KernelHeight, kw = g.KernelWidth, sd = g.StrideDepth, sh = g.StrideHeight, sw = g.StrideWidth;
        if (typeof(T) == typeof(float) && Sse.IsSupported && kd == 1 && kh == 2 && kw == 2 && sh == 2 && sw == 2 && od == 1)
        {
            // masked 512-bit steps pay off on rows of a dozen outputs or more: 14-wide rows of
            // batchnorm+relu+pool took 20 % less, 7-wide ones 30 % more than four at a time
            if (ow >= 12 && Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported) MaxPool2x2Wide((float*)x, (float*)y, am, iw, firstRow, endRow, ow);
            else MaxPool2x2((float*)x, (float*)y, am, ih, iw, firstRow, endRow, ow);
            return;
        }
        for (int zd = 0; zd < od; zd++)
        for (int zh = firstRow; zh < endRow; zh++)
        {
            int rowStart = (zd * sd * ih + zh * sh) * iw;
            int o = (zd * oh + zh) * ow;
            for (int zw = 0; zw < ow; zw++, o++)
            {
                // the first element seeds the search: identical to starting from −∞ with the
                // "only −∞ names its first element" rule, and NaN still wins and later NaNs replace it
                int start = rowStart + zw * sw;
                T best = x[start];
                int bestIndex = start;
                for (int a = 0; a < kd; a++)
                for (int b = 0; b < kh; b++)
                {
                    int row = start + (a * ih + b) * iw;
                    for (int c = 0; c < kw; c++)
                    {
                        T v = x[row + c];
                        if (v > best || T.IsNaN(v)) { best = v; bestIndex = row + c; }
                    }
                }
                y[o] = best;
                am[o] = bestIndex;
            }
        }
    }

    // The 2×2 stride-2 window of four outputs at a time: even and odd columns of both rows are split
    // with two shuffles, then the four candidates are taken in row-major order with the scalar rule
    // (greater, or NaN, replaces), so ties and NaNs resolve exactly as in the loop above.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2x2(float* x, float* y, int* am, int ih, int iw, int firstRow, int endRow, int ow)
    {
        var lane = Vector128.Create(0, 2, 4, 6);
        for (int zh = firstRow; zh < endRow; zh++)
        {
            float* r0 = x + (nint)zh * 2 * iw, r1 = r0 + iw;
            float* yo = y + (nint)zh * ow;
            int* ao = am + (nint)zh * ow;
            int zw = 0;
            // a row whose width is not a multiple of four ends with the last four outputs, overlapping
            // some already written (with the same values): a scalar tail with its mispredicted
            // compares cost more than the vector step on 7- and 14-wide rows
            for (; zw < ow && ow >= 4; zw += 4)
            {
                if (zw + 4 > ow) zw = ow - 4;
                Vector128<float> a0 = Vector128.Load(r0 + 2 * zw), b0 = Vector128.Load(r0 + 2 * zw + 4);
                Vector128<float> a1 = Vector128.Load(r1 + 2 * zw), b1 = Vector128.Load(r1 + 2 * zw + 4);
                Vector128<float> best = Sse.Shuffle(a0, b0, 0b10_00_10_00);
                Vector128<int> start = lane + Vector128.Create(zh * 2 * iw + 2 * zw), index = start;
                Take(ref best, ref index, Sse.Shuffle(a0, b0, 0b11_01_11_01), start + Vector128.Create(1));
                Take(ref best, ref index, Sse.Shuffle(a1, b1, 0b10_00_10_00), start + Vector128.Create(iw));
                Take(ref best, ref index, Sse.Shuffle(a1, b1, 0b11_01_11_01), start + Vector128.Create(iw + 1));
                best.Store(yo + zw);
                index.Store(ao + zw);
            }
            for (; zw < ow; zw++)
            {
                int start = zh * 2 * iw + 2 * zw;
                float best = x[start];
                int bestIndex = start;
                foreach (int offset in stackalloc[] { 1, iw, iw + 1 })
                {
                    float v = x[start + offset];
                    if (v > best || float.IsNaN(v)) { best = v; bestIndex = start + offset; }
                }
                yo[zw] = best;
                ao[zw] = bestIndex;
            }
        }

        static void Take(ref Vector128<float> best, ref Vector128<int> index, Vector128<float> candidate, Vector128<int> candidateIndex)
        {
            Vector128<float> take = Vector128.GreaterThan(candidate, best) | ~Vector128.Equals(candidate, candidate);
            best = Vector128.ConditionalSelect(take, candidate, best);
            index = Vector128.ConditionalSelect(take.AsInt32(), candidateIndex, index);
        }
    }

    // MaxPool2x2 sixteen outputs at a time: the even and odd columns of 32 inputs of each row come out
    // of two permutes, loads and stores past the row's last output are masked. At four outputs a step,
    // the pooling was 10 % of a batchnorm+relu+pool block's samples.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool2x2Wide(float* x, float* y, int* am, int iw, int firstRow, int endRow, int ow)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        var lane2 = Vector512<int>.Indices * 2;
        for (int zh = firstRow; zh < endRow; zh++)
        {
            float* r0 = x + (nint)zh * 2 * iw, r1 = r0 + iw;
            for (int zw = 0; zw < ow; zw += 16)
            {
                // n outputs read 2n inputs of each row, all inside it (2·ow ≤ iw)
                int n = Math.Min(16, ow - zw);
                var keep = Simd512.FirstLanes(n);
                var low = Simd512.FirstLanes(2 * n).AsSingle();
                var high = Simd512.FirstLanes(2 * n - 16).AsSingle();
                int at = 2 * zw;
                Vector512<float> a0 = Avx512F.MaskLoad(r0 + at, low, Vector512<float>.Zero), b0 = Avx512F.MaskLoad(r0 + at + 16, high, Vector512<float>.Zero);
                Vector512<float> a1 = Avx512F.MaskLoad(r1 + at, low, Vector512<float>.Zero), b1 = Avx512F.MaskLoad(r1 + at + 16, high, Vector512<float>.Zero);
                Vector512<float> best = Avx512F.PermuteVar16x32x2(a0, even, b0);
                Vector512<int> start = lane2 + Vector512.Create(zh * 2 * iw + at), index = start;
                Take(ref best, ref index, Avx512F.PermuteVar16x32x2(a0, odd, b0), start + Vector512<int>.One);
                Take(ref best, ref index, Avx512F.PermuteVar16x32x2(a1, even, b1), start + Vector512.Create(iw));
                Take(ref best, ref index, Avx512F.PermuteVar16x32x2(a1, odd, b1), start + Vector512.Create(iw + 1));
                Avx512F.MaskStore(y + (nint)zh * ow + zw, keep.AsSingle(), best);
                Avx512F.MaskStore(am + (nint)zh * ow + zw, keep, index);
            }
        }

        // the scalar rule: a greater value or a NaN replaces the best so far
        static void Take(ref Vector512<float> best, ref Vector512<int> index, Vector512<float> candidate, Vector512<int> candidateIndex)
        {
            Vector512<float> take = Vector512.GreaterThan(candidate, best) | ~Vector512.Equals(candidate, candidate);
            best = Vector512.ConditionalSelect(take, candidate, best);
            index = Vector512.ConditionalSelect(take.AsInt32(), candidateIndex, index);
        }
    }

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
