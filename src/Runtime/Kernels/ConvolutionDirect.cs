using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// The forward pass of tiny convolutions (at most KernelLimits.MaxDirectTaps taps per filter, the
/// first layers of LeNet-5 and most image networks) as direct loops: six filters × two vectors of an
/// output row are accumulated in registers over the taps, read straight from the padded example
/// through the tap offsets, started at the bias, activated and stored once. The GEMM path costs more
/// than the arithmetic here: it packs every tap row, loads and stores its accumulators around a
/// K loop of 9 to 27 steps, and fills, copies out and activates the output in separate passes.
/// Backward stays on the shifted views.
/// </summary>
public static unsafe partial class Convolution
{
    // scratch: [padded example][two vectors of zeros the last rows' loads run into][the whole output,
    // when a pooling follows]
    private static long DirectScratch<T>(ref ConvJob<T> job) where T : unmanaged =>
        job.Shifted.PaddedElements + 2 * 16 + (job.Pooled ? (long)job.Geometry.OutChannels * job.Geometry.OutSpatial : 0);

    private static void DirectForwardExample<T>(ref ConvJob<T> job, int n, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        float* padded = WorkerPool.Scratch<float>(worker, DirectScratch(ref job));
        float* output = DirectPad(ref job, n, padded);
        for (int zh = 0; zh < job.Geometry.OutHeight; zh++) DirectRow(ref job, padded, output, zh);
        if (job.Pooled) PoolExample(ref job, (T*)output, n);
    }

    // Fewer examples than threads: the example's output rows are shared out.
    private static void DirectForwardSplit<T>(ref ConvJob<T> job, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        float* padded = WorkerPool.Scratch<float>(0, DirectScratch(ref job));
        job.Columns = (T*)padded;
        job.Target = (T*)DirectPad(ref job, n, padded);
        fixed (ConvJob<T>* context = &job) WorkerPool.For(job.Geometry.OutHeight, &DirectRowItem<T>, context);
        if (job.Pooled) PoolSplit(ref job, job.Target, n);
    }

    private static void DirectRowItem<T>(void* context, int zh, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvJob<T> job = ref *(ConvJob<T>*)context;
        DirectRow(ref job, (float*)job.Columns, (float*)job.Target, zh);
    }

    // Pads example n into `padded` (DirectScratch) and returns where its output planes go.
    private static float* DirectPad<T>(ref ConvJob<T> job, int n, float* padded) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        s.Pad((float*)job.X + (nint)n * g.InChannels * g.InSpatial, padded);
        // the last chunk of a row reads up to two vectors past the padded example; those lanes are dropped
        new Span<float>(padded + s.PaddedElements, 2 * 16).Clear();
        return job.Pooled ? padded + s.PaddedElements + 2 * 16 : (float*)job.Y + (nint)n * g.OutChannels * g.OutSpatial;
    }

    private static void DirectRow<T>(ref ConvJob<T> job, float* padded, float* output, int zh) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd.Current == SimdWidth.Vector512) DirectRow<Simd512, T>(ref job, padded, output, zh);
        else DirectRow<Simd256, T>(ref job, padded, output, zh);
    }

    // Output row zh of every filter.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectRow<V, T>(ref ConvJob<T> job, float* padded, float* output, int zh)
        where V : unmanaged, ISimdVector<V> where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        int taps = g.FilterSize, filters = g.OutChannels, ow = g.OutWidth, p = g.OutSpatial, chunk = 2 * V.Count;
        float* w = (float*)job.W, bias = (float*)job.B;
        bool relu = job.Epilogue == Epilogue.Relu;
        float* source = padded + (nint)zh * s.Width;
        for (int f0 = 0; f0 < filters; f0 += 6)
        {
            int rows = Math.Min(6, filters - f0);
            for (int zw = 0; zw < ow; zw += chunk)
            {
                // a part-filled chunk is stored lane-masked: stored whole it would run into the next
                // row, which another thread may be writing (copied out of a buffer row by row, the
                // copies took 40 % of a 28-wide layer's time)
                int valid = Math.Min(chunk, ow - zw);
                float* target = output + (nint)f0 * p + (nint)zh * ow + zw;
                if (rows == 6)
                {
                    Direct6x2<V>(taps, w + (nint)f0 * taps, bias == null ? null : bias + f0, source + zw, s.RowOffsets, relu, target, p, valid);
                    continue;
                }
                for (int r = 0; r < rows; r++)
                    Direct1x2<V>(taps, w + (nint)(f0 + r) * taps, bias == null ? null : bias + f0 + r, source + zw, s.RowOffsets, relu, target + (nint)r * p, valid);
            }
        }
    }

    // Six filters (weights w, w + taps, …) × two vectors of one output row: the first `valid` lanes of
    // c (row stride ldc) = bias + Σ over the taps of weight · the padded input at b + offsets[tap], then relu.
    // its own method: inlined into DirectRow it used up the JIT's inlining budget, and the vector
    // helpers became calls
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Direct6x2<V>(int taps, float* w, float* bias, float* b, nint* offsets, bool relu, float* c, nint ldc, int valid)
        where V : unmanaged, ISimdVector<V>
    {
        int v = V.Count;
        float* w1 = w + taps, w2 = w1 + taps, w3 = w2 + taps, w4 = w3 + taps, w5 = w4 + taps;
        V x00 = bias == null ? V.Zero : V.Splat(bias[0]), x10 = bias == null ? V.Zero : V.Splat(bias[1]), x20 = bias == null ? V.Zero : V.Splat(bias[2]);
        V x30 = bias == null ? V.Zero : V.Splat(bias[3]), x40 = bias == null ? V.Zero : V.Splat(bias[4]), x50 = bias == null ? V.Zero : V.Splat(bias[5]);
        V x01 = x00, x11 = x10, x21 = x20, x31 = x30, x41 = x40, x51 = x50;
        for (int t = 0; t < taps; t++)
        {
            float* row = b + offsets[t];
            V b0 = V.Load(row), b1 = V.Load(row + v);
            V s = V.Splat(w[t]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(w1[t]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
            s = V.Splat(w2[t]); x20 = V.MultiplyAdd(s, b0, x20); x21 = V.MultiplyAdd(s, b1, x21);
            s = V.Splat(w3[t]); x30 = V.MultiplyAdd(s, b0, x30); x31 = V.MultiplyAdd(s, b1, x31);
            s = V.Splat(w4[t]); x40 = V.MultiplyAdd(s, b0, x40); x41 = V.MultiplyAdd(s, b1, x41);
            s = V.Splat(w5[t]); x50 = V.MultiplyAdd(s, b0, x50); x51 = V.MultiplyAdd(s, b1, x51);
        }
        if (relu)
        {
            x00 = V.Relu(x00); x01 = V.Relu(x01); x10 = V.Relu(x10); x11 = V.Relu(x11); x20 = V.Relu(x20); x21 = V.Relu(x21);
            x30 = V.Relu(x30); x31 = V.Relu(x31); x40 = V.Relu(x40); x41 = V.Relu(x41); x50 = V.Relu(x50); x51 = V.Relu(x51);
        }
        if (valid == 2 * v)
        {
            x00.Store(c); x01.Store(c + v); c += ldc;
            x10.Store(c); x11.Store(c + v); c += ldc;
            x20.Store(c); x21.Store(c + v); c += ldc;
            x30.Store(c); x31.Store(c + v); c += ldc;
            x40.Store(c); x41.Store(c + v); c += ldc;
            x50.Store(c); x51.Store(c + v);
            return;
        }
        // inline, not a helper taking the vectors: the JIT would not inline it and passed them on the stack
        int first = Math.Min(valid, v), second = valid - first;
        x00.StoreFirst(c, first); x01.StoreFirst(c + v, second); c += ldc;
        x10.StoreFirst(c, first); x11.StoreFirst(c + v, second); c += ldc;
        x20.StoreFirst(c, first); x21.StoreFirst(c + v, second); c += ldc;
        x30.StoreFirst(c, first); x31.StoreFirst(c + v, second); c += ldc;
        x40.StoreFirst(c, first); x41.StoreFirst(c + v, second); c += ldc;
        x50.StoreFirst(c, first); x51.StoreFirst(c + v, second);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Direct1x2<V>(int taps, float* w, float* bias, float* b, nint* offsets, bool relu, float* c, int valid)
        where V : unmanaged, ISimdVector<V>
    {
        int v = V.Count;
        V x0 = bias == null ? V.Zero : V.Splat(bias[0]), x1 = x0;
        for (int t = 0; t < taps; t++)
        {
            float* row = b + offsets[t];
            V s = V.Splat(w[t]);
            x0 = V.MultiplyAdd(s, V.Load(row), x0);
            x1 = V.MultiplyAdd(s, V.Load(row + v), x1);
        }
        if (relu)
        {
            x0 = V.Relu(x0);
            x1 = V.Relu(x1);
        }
        int first = Math.Min(valid, v);
        x0.StoreFirst(c, first);
        x1.StoreFirst(c + v, valid - first);
    }
}
