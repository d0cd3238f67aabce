using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Convolution with a max pooling fused behind it (and the relu epilogue before that): each example's
/// output is computed into scratch, activated and pooled while it is still in cache, so only the pooled
/// tensor and its argmax indices reach memory. Backward rebuilds an example's output gradient from the
/// pooled one (each pooled gradient goes to its argmax, relu' applied through the pooled output, which
/// is the relu output at that argmax) and runs the ordinary backward on it. Values and argmax indices
/// are exactly those of the separate conv, relu and <see cref="Pooling.MaxForward{T}"/> layers.
/// </summary>
public static unsafe partial class Convolution
{
    /// <summary>Whether <paramref name="pool"/> can be fused behind a convolution of geometry
    /// <paramref name="g"/>: it pools that convolution's output, without padding or ceil-mode windows
    /// that leave the input.</summary>
    public static bool CanFuseMaxPool(in ConvGeometry g, in PoolGeometry pool) =>
        pool.Channels == g.OutChannels && pool.InDepth == g.OutDepth && pool.InHeight == g.OutHeight && pool.InWidth == g.OutWidth
        && Pooling.WindowsInside(pool);

    // input, weight, bias: as Forward; pooledOutput, argmax: N×F×(pool output), overwritten.
    public static void ForwardMaxPooled<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<T> pooledOutput, Span<int> argmax, int batch, in ConvGeometry g, in PoolGeometry pool, ConvolutionAlgorithm algorithm, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(input.Length, weight.Length, bias.Length, batch, g);
        CheckPooled(pooledOutput.Length, argmax.Length, batch, g, pool, nameof(pooledOutput));
        var runnable = ConvolutionAlgorithms.Runnable<T>(algorithm, g, backward: false);
        fixed (T* x = input, w = weight, b = bias, y = pooledOutput)
        fixed (int* am = argmax)
        {
            var job = new ConvJob<T> { X = x, W = w, B = bias.IsEmpty ? null : b, Y = y, Argmax = am, Geometry = g, Pool = pool, Pooled = true, Epilogue = epilogue, Algorithm = runnable };
            RunForward(ref job, batch);
        }
    }

    // pooledOutputGradient, pooledOutput, argmax: what ForwardMaxPooled wrote and the gradient of its
    // output; the other arguments as Backward. All gradients accumulate.
    public static void BackwardMaxPooled<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> pooledOutputGradient,
        ReadOnlySpan<T> pooledOutput, ReadOnlySpan<int> argmax, Span<T> inputGradient, Span<T> weightGradient, Span<T> biasGradient,
        int batch, in ConvGeometry g, in PoolGeometry pool, ConvolutionAlgorithm algorithm, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var runnable = ConvolutionAlgorithms.Runnable<T>(algorithm, g, backward: true);
        CheckLengths(input.Length, weight.Length, biasGradient.Length, batch, g);
        CheckPooled(pooledOutputGradient.Length, argmax.Length, batch, g, pool, nameof(pooledOutputGradient));
        CheckGradients(inputGradient.Length, weightGradient.Length, weight.Length, batch, g);
        if (epilogue != Epilogue.None && pooledOutput.Length < pooledOutputGradient.Length)
            throw new ArgumentException($"the {epilogue} epilogue needs the pooled output ({pooledOutputGradient.Length} elements), not {pooledOutput.Length}.", nameof(pooledOutput));
        fixed (T* x = input, w = weight, dy = pooledOutputGradient, y = pooledOutput, dx = inputGradient, dw = weightGradient, db = biasGradient)
        fixed (int* am = argmax)
        {
            var job = new ConvJob<T>
            {
                X = x, W = w, DY = dy, Y = y, Argmax = am, DX = inputGradient.IsEmpty ? null : dx, DW = weightGradient.IsEmpty ? null : dw,
                DB = biasGradient.IsEmpty ? null : db, Geometry = g, Pool = pool, Pooled = true, Epilogue = epilogue, Algorithm = runnable,
            };
            RunBackward(ref job, batch);
        }
    }

    private static void CheckPooled(int pooled, int argmax, int batch, in ConvGeometry g, in PoolGeometry pool, string pooledName)
    {
        if (!CanFuseMaxPool(g, pool))
            throw new ArgumentException($"the pooling {pool} cannot follow this convolution: it must pool its {g.OutChannels}×{g.OutDepth}×{g.OutHeight}×{g.OutWidth} output without padding or windows past the edge.", nameof(pool));
        long needed = (long)batch * g.OutChannels * pool.OutSpatial;
        if (pooled < needed)
            throw new ArgumentException($"{pooledName} has {pooled} elements, fewer than batch {batch} × {g.OutChannels * pool.OutSpatial}.", pooledName);
        if (argmax < needed)
            throw new ArgumentException($"argmax has {argmax} elements, fewer than batch {batch} × {g.OutChannels * pool.OutSpatial}.", nameof(argmax));
    }

    // output: one example's activated output (F × OD·OH·OW) in scratch → its pooled planes and argmax.
    private static void PoolExample<T>(ref ConvJob<T> job, T* output, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = job.Geometry.OutSpatial, q = job.Pool.OutSpatial;
        nint first = (nint)n * job.Geometry.OutChannels;
        for (int f = 0; f < job.Geometry.OutChannels; f++)
            Pooling.MaxPlaneInside(output + (nint)f * p, job.Y + (first + f) * q, job.Argmax + (first + f) * q, job.Pool);
    }

    // As PoolExample, for one example computed by all threads: its planes are pooled in parallel too.
    private static void PoolSplit<T>(ref ConvJob<T> job, T* output, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = job.Geometry.OutChannels, p = job.Geometry.OutSpatial, q = job.Pool.OutSpatial;
        nint first = (nint)n * planes * q;
        Pooling.MaxForward(new ReadOnlySpan<T>(output, planes * p), new Span<T>(job.Y + first, planes * q), new Span<int>(job.Argmax + first, planes * q), 1, job.Pool);
    }

    // target (F × OD·OH·OW) = the gradient of example n's conv output: each pooled gradient added at its
    // argmax, where relu passed it (the pooled output is the relu output there: > 0 or NaN). Each
    // plane's pooled gradient is masked, vectorized, into the Pool.OutSpatial elements after target
    // first: a branch per pooled value on the relu mask was mispredicted about half the time.
    private static void Unpool<T>(ref ConvJob<T> job, int n, T* target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int filters = job.Geometry.OutChannels, p = job.Geometry.OutSpatial, q = job.Pool.OutSpatial;
        new Span<T>(target, filters * p).Clear();
        T* masked = target + (nint)filters * p;
        nint first = (nint)n * filters * q;
        for (int f = 0; f < filters; f++, target += p)
        {
            nint plane = first + (nint)f * q;
            Epilogues.InputGradient(job.Epilogue, new ReadOnlySpan<T>(job.Y + plane, job.Y == null ? 0 : q), new ReadOnlySpan<T>(job.DY + plane, q), new Span<T>(masked, q));
            int* am = job.Argmax + plane;
            for (int o = 0; o < q; o++)
            {
                // the indices come from the caller: a wrong one must not write outside the example
                int at = am[o];
                if ((uint)at >= (uint)p)
                    throw new ArgumentException($"argmax {at} of example {n}, filter {f} is outside its output plane of {p} positions.", "argmax");
                target[at] += masked[o];
            }
        }
    }
}
