using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Batch normalisation with a max pooling fused behind it (and the relu epilogue before that), the
/// "conv → batchnorm → relu → maxpool" block: each plane is normalised into scratch and pooled there,
/// so neither the normalised nor the activated tensor reaches memory. Backward needs the gradient of
/// the normalised values only where a pooled value came from (elsewhere it is zero), so its sums run
/// over the pooled positions; dx still covers every position. Values and argmax indices are exactly
/// those of the separate batchnorm, relu and <see cref="Pooling.MaxForward{T}"/> layers.
/// </summary>
public static unsafe partial class BatchNorm
{
    /// <summary>Whether <paramref name="pool"/> can be fused behind a batchnorm over
    /// <paramref name="channels"/> planes of <paramref name="spatial"/> positions: it pools that
    /// output, without padding or ceil-mode windows that leave it.</summary>
    public static bool CanFuseMaxPool(int channels, int spatial, in PoolGeometry pool) =>
        pool.Channels == channels && pool.InSpatial == spatial && Pooling.WindowsInside(pool) && pool.OutSpatial > 0;

    // As ForwardTraining; pooledOutput, argmax: N×C×(pool output), overwritten.
    public static void ForwardTrainingMaxPooled<T>(ReadOnlySpan<T> x, Span<T> pooledOutput, Span<int> argmax, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> savedMean, Span<T> savedInvStd,
        int batch, int channels, int spatial, in PoolGeometry pool, T eps, T momentum, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, x.Length, batch, channels, spatial, gamma.Length, beta.Length, runningMean.Length, runningVar.Length, savedMean.Length, savedInvStd.Length);
        CheckPooled(pooledOutput.Length, argmax.Length, batch, channels, spatial, pool, nameof(pooledOutput));
        fixed (T* px = x, py = pooledOutput, pg = gamma, pb = beta, prm = runningMean, prv = runningVar, psm = savedMean, psi = savedInvStd)
        fixed (int* am = argmax)
        {
            var job = new Job<T>
            {
                X = px, Y = py, Argmax = am, Pool = pool, Pooled = true, Gamma = pg, Beta = pb, RunningMean = prm, RunningVar = prv,
                SavedMean = psm, SavedInvStd = psi, Batch = batch, Channels = channels, Spatial = spatial, Eps = eps, Momentum = momentum, Epilogue = epilogue,
                Training = true,
            };
            Run(ref job, &TrainingChannel<T>);
            RunPooledPlanes(ref job);
        }
    }

    // As ForwardInference; pooledOutput, argmax: N×C×(pool output), overwritten.
    public static void ForwardInferenceMaxPooled<T>(ReadOnlySpan<T> x, Span<T> pooledOutput, Span<int> argmax, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int batch, int channels, int spatial, in PoolGeometry pool, T eps, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, x.Length, batch, channels, spatial, gamma.Length, beta.Length, runningMean.Length, runningVar.Length, channels, channels);
        CheckPooled(pooledOutput.Length, argmax.Length, batch, channels, spatial, pool, nameof(pooledOutput));
        fixed (T* px = x, py = pooledOutput, pg = gamma, pb = beta, prm = runningMean, prv = runningVar)
        fixed (int* am = argmax)
        {
            var job = new Job<T>
            {
                X = px, Y = py, Argmax = am, Pool = pool, Pooled = true, Gamma = pg, Beta = pb, RunningMean = prm, RunningVar = prv,
                Batch = batch, Channels = channels, Spatial = spatial, Eps = eps, Epilogue = epilogue,
            };
            RunPooledPlanes(ref job);
        }
    }

    // As Backward, with the gradient, output and argmax of the pooled tensor. All gradients accumulate,
    // dx only where accumulate (else it is overwritten).
    public static void BackwardMaxPooled<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> pooledOutputGradient, ReadOnlySpan<T> pooledOutput, ReadOnlySpan<int> argmax,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta,
        int batch, int channels, int spatial, in PoolGeometry pool, Epilogue epilogue = Epilogue.None, bool accumulate = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, x.Length, batch, channels, spatial, gamma.Length, dgamma.Length, dbeta.Length, savedMean.Length, savedInvStd.Length);
        CheckPooled(pooledOutputGradient.Length, argmax.Length, batch, channels, spatial, pool, nameof(pooledOutputGradient));
        if (!dx.IsEmpty && dx.Length < (long)batch * channels * spatial)
            throw new ArgumentException($"dx has {dx.Length} elements, fewer than {batch} × {channels} × {spatial}.", nameof(dx));
        if (epilogue != Epilogue.None && pooledOutput.Length < pooledOutputGradient.Length)
            throw new ArgumentException($"the {epilogue} epilogue needs the pooled output ({pooledOutputGradient.Length} elements), not {pooledOutput.Length}.", nameof(pooledOutput));
        fixed (T* px = x, pdy = pooledOutputGradient, py = pooledOutput, pg = gamma, psm = savedMean, psi = savedInvStd, pdx = dx, pdg = dgamma, pdb = dbeta)
        fixed (int* am = argmax)
        {
            var job = new Job<T>
            {
                X = px, Dy = pdy, Y = py, Argmax = am, Pool = pool, Pooled = true, Gamma = pg, SavedMean = psm, SavedInvStd = psi,
                Dx = dx.IsEmpty ? null : pdx, DGamma = pdg, DBeta = pdb, Batch = batch, Channels = channels, Spatial = spatial, Epilogue = epilogue,
                OverwriteDx = !accumulate,
            };
            Run(ref job, &BackwardChannel<T>);
        }
    }

    // Normalise, activate and pool runs of whole planes (n, c) in memory order, so each thread writes
    // one stretch of the pooled output and argmax: split by channel, two threads wrote neighbouring
    // pooled planes of every example at once, and each boundary cache line went back and forth
    // (on two threads the fused block ran slower than the three separate layers).
    private static void RunPooledPlanes<T>(ref Job<T> job) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int planes = job.Batch * job.Channels;
        // about 64 KB of input per item, as the pooling layer splits its planes
        job.PlanesPerItem = Math.Max(1, 16384 / Math.Max(1, job.Spatial));
        WorkerPool.Scratch<T>(0, job.Spatial);
        fixed (Job<T>* context = &job)
            WorkerPool.For((planes + job.PlanesPerItem - 1) / job.PlanesPerItem, &PooledPlanes<T>, context);
    }

    private static void PooledPlanes<T>(void* context, int item, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)context;
        int spatial = job.Spatial, q = job.Pool.OutSpatial;
        int first = item * job.PlanesPerItem, end = Math.Min(job.Batch * job.Channels, first + job.PlanesPerItem);
        T* scratch = WorkerPool.Scratch<T>(worker, spatial);
        bool relu = job.Epilogue == Epilogue.Relu;
        for (int plane = first; plane < end; plane++)
        {
            int c = plane % job.Channels;
            var (mean, scale) = Normalisation(ref job, c);
            NormalisePlane(job.X + (nint)plane * spatial, scratch, spatial, mean, scale, job.Beta[c], relu);
            Pooling.MaxPlaneInside(scratch, job.Y + (nint)plane * q, job.Argmax + (nint)plane * q, job.Pool);
        }
    }

    private static void CheckPooled(int pooled, int argmax, int batch, int channels, int spatial, in PoolGeometry pool, string pooledName)
    {
        if (!CanFuseMaxPool(channels, spatial, pool))
            throw new ArgumentException($"the pooling {pool} cannot follow this batchnorm: it must pool its {channels} planes of {spatial} positions without padding or windows past the edge.", nameof(pool));
        long needed = (long)batch * channels * pool.OutSpatial;
        if (pooled < needed)
            throw new ArgumentException($"{pooledName} has {pooled} elements, fewer than batch {batch} × {channels * pool.OutSpatial}.", pooledName);
        if (argmax < needed)
            throw new ArgumentException($"argmax has {argmax} elements, fewer than batch {batch} × {channels * pool.OutSpatial}.", nameof(argmax));
    }

    // Channel c of BackwardMaxPooled. The gradient g of the normalised values is the pooled gradient at
    // each argmax where relu passed it (the pooled output is > 0 or NaN there), zero elsewhere; so
    // Σg and Σg·(x − mean) run over the pooled positions, then
    // dx += k·g + slope·(x − mean) + offset over every position, the k·g part only at the argmaxes.
    // g is masked without a branch (a branch on the relu mask per pooled value was mispredicted about
    // half the time) into scratch for the whole batch: float sums gather x[argmax] in the same vector
    // pass, other types read g back by scalar loads after all planes are masked. A plane's k·g is added
    // one plane after its vector pass: read back at once, the profile had the scalar loads stalled on
    // the vector stores they overlapped. With the next plane
    // prefetched, the pass takes ≈ 30 % less time than with neither (BN of 64×32×28×28, pool 2).
    private static void PooledBackwardChannel<T>(ref Job<T> job, int c, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = job.Batch, spatial = job.Spatial, stride = job.Channels * spatial, q = job.Pool.OutSpatial, vc = Vector<T>.Count;
        T mean = job.SavedMean[c];
        T* gradients = WorkerPool.Scratch<T>(worker, OwnScratch(ref job));
        T sumDy = T.Zero, sumDyCentered = T.Zero;
        bool gather = typeof(T) == typeof(float) && Simd.Current >= SimdWidth.Vector256 && Avx2.IsSupported && Fma.IsSupported;
        if (!gather)
            for (int n = 0; n < batch; n++) MaskedGradient(ref job, ((nint)n * job.Channels + c) * q, gradients + (nint)n * q);
        for (int n = 0; n < batch; n++)
        {
            nint plane = ((nint)n * job.Channels + c) * q;
            T* x = job.X + (nint)n * stride + (nint)c * spatial, g = gradients + (nint)n * q;
            int* am = job.Argmax + plane;
            int o = 0;
            T sa = T.Zero, sb = T.Zero;
            if (gather)
            {
                if (n + 1 < batch) Prefetch(x + stride, spatial);
                o = GatheredSums(job.Dy + plane, job.Y == null ? null : job.Y + plane, am, x, g, q, spatial, mean, job.Epilogue == Epilogue.Relu, out sa, out sb);
                // the scalar loop below finishes the tail with the relu mask applied here
                Epilogues.InputGradient(job.Epilogue, new ReadOnlySpan<T>(job.Y + plane + o, job.Y == null ? 0 : q - o), new ReadOnlySpan<T>(job.Dy + plane + o, q - o), new Span<T>(g + o, q - o));
            }
            for (; o < q; o++)
            {
                // the indices come from the caller: a wrong one must not read or write outside the plane
                int at = am[o];
                if ((uint)at >= (uint)spatial)
                    throw new ArgumentException($"argmax {at} of example {n}, channel {c} is outside its plane of {spatial} positions.", "argmax");
                sa += g[o];
                sb += g[o] * (x[at] - mean);
            }
            sumDy += sa;
            sumDyCentered += sb;
        }
        if (!ParameterGradients(ref job, c, sumDy, sumDyCentered, out T k, out T slope, out T offset)) return;
        Vector<T> vs = new(slope), vo = new(offset), vm = new(mean);
        // handed to the convolution before: planes of dx alternate between two scratch planes (a
        // plane's k·g lands one plane late), then go into its gradients
        bool intoConvolution = job.BeforeDW != null;
        T* planes = gradients + (nint)batch * q;
        T* acc = stackalloc T[intoConvolution ? job.Before.Taps + 1 : 0];
        for (int n = 0; n <= batch; n++)
        {
            if (n < batch)
            {
                nint o = (nint)n * stride + (nint)c * spatial;
                T* x = job.X + o, dx = intoConvolution ? planes + (n & 1) * spatial : job.Dx + o;
                if (n + 1 < batch && !intoConvolution) Prefetch(dx + stride, spatial);
                int s = 0;
                if (job.OverwriteDx || intoConvolution)
                {
                    for (; s + vc <= spatial; s += vc) (vs * (Vector.Load(x + s) - vm) + vo).Store(dx + s);
                    for (; s < spatial; s++) dx[s] = slope * (x[s] - mean) + offset;
                }
                else
                {
                    for (; s + vc <= spatial; s += vc) (Vector.Load(dx + s) + vs * (Vector.Load(x + s) - vm) + vo).Store(dx + s);
                    for (; s < spatial; s++) dx[s] += slope * (x[s] - mean) + offset;
                }
            }
            if (n > 0)
            {
                int previous = n - 1;
                T* dx = intoConvolution ? planes + (previous & 1) * spatial : job.Dx + (nint)previous * stride + (nint)c * spatial, g = gradients + (nint)previous * q;
                int* am = job.Argmax + ((nint)previous * job.Channels + c) * q;
                for (int p = 0; p < q; p++) dx[am[p]] += k * g[p];
                if (intoConvolution) PlaneIntoConvolution(ref job, previous, dx, acc);
            }
        }
        if (intoConvolution) FinishConvolutionBefore(ref job, c, acc);
    }

    // Σg and Σg·(x[argmax] − mean) over the whole vectors of one plane's q pooled values, the masked
    // gradient g stored for the dx pass; returns where the scalar tail starts (at the first vector
    // holding an argmax outside the plane, so the scalar loop names it). x[argmax] is gathered eight
    // at a time: scalar, each pooled value cost ≈ 4 cycles of dependent adds and loads.
    private static int GatheredSums<T>(T* dy, T* y, int* am, T* x, T* g, int q, int spatial, T mean, bool relu, out T sumG, out T sumGCentered)
        where T : unmanaged
    {
        float* pdy = (float*)dy, py = (float*)y, px = (float*)x, pg = (float*)g;
        Vector256<float> a = Vector256<float>.Zero, b = Vector256<float>.Zero, vm = Vector256.Create(Unsafe.As<T, float>(ref mean));
        Vector256<uint> limit = Vector256.Create((uint)spatial);
        int o = 0;
        for (; o + 8 <= q; o += 8)
        {
            Vector256<int> at = Vector256.Load(am + o);
            if (!Vector256.LessThanAll(at.AsUInt32(), limit)) break;
            Vector256<float> gv = Vector256.Load(pdy + o);
            // relu passed the value where its output is > 0 or NaN
            if (relu) gv = Vector256.ConditionalSelect(~Vector256.LessThanOrEqual(Vector256.Load(py + o), Vector256<float>.Zero), gv, Vector256<float>.Zero);
            gv.Store(pg + o);
            a += gv;
            b = Fma.MultiplyAdd(gv, Avx2.GatherVector256(px, at, 4) - vm, b);
        }
        float sa = Vector256.Sum(a), sb = Vector256.Sum(b);
        sumG = Unsafe.As<float, T>(ref sa);
        sumGCentered = Unsafe.As<float, T>(ref sb);
        return o;
    }

    // The next plane is a channel stride away, too far for the hardware prefetcher to follow: without
    // this, its first loads waited on memory.
    private static void Prefetch<T>(T* plane, int elements) where T : unmanaged
    {
        if (!Sse.IsSupported) return;
        byte* bytes = (byte*)plane;
        for (nint b = 0, end = (nint)elements * sizeof(T); b < end; b += 64) Sse.Prefetch0(bytes + b);
    }

    // g = the pooled gradient of one plane, zero where the relu (if any) blocked it.
    private static void MaskedGradient<T>(ref Job<T> job, nint plane, T* g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int q = job.Pool.OutSpatial;
        Epilogues.InputGradient(job.Epilogue, new ReadOnlySpan<T>(job.Y + plane, job.Y == null ? 0 : q), new ReadOnlySpan<T>(job.Dy + plane, q), new Span<T>(g, q));
    }
}
