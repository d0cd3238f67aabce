using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Batch normalisation over N×C×S tensors, per channel across the batch and the spatial positions
/// (BatchNorm1d/2d/3d, PyTorch semantics). Channels are independent, so they are split over the
/// <see cref="WorkerPool"/>; every pass over a channel's N·S values is vectorized. A relu after the
/// layer can be applied on the way out (and relu' on the way back), and a max pooling after that too
/// (<see cref="BatchNorm"/>'s MaxPooled methods): then only the pooled output and its argmax are stored.
/// </summary>
public static unsafe partial class BatchNorm
{
    // Below this many elements a layer stays on the calling thread.
    private const int ParallelThreshold = 1 << 15;

    // x, y: N×C×S (y overwritten); gamma, beta, runningMean, runningVar, savedMean, savedInvStd: C.
    // Normalises with the biased batch variance; the running variance takes the unbiased one
    // (M/(M−1), M = N·S > 1 guaranteed by the caller): running = (1 − momentum)·running + momentum·batch.
    // savedMean/savedInvStd keep the batch statistics for Backward.
    public static void ForwardTraining<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> savedMean, Span<T> savedInvStd,
        int batch, int channels, int spatial, T eps, T momentum, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, y.Length, batch, channels, spatial, gamma.Length, beta.Length, runningMean.Length, runningVar.Length, savedMean.Length, savedInvStd.Length);
        fixed (T* px = x, py = y, pg = gamma, pb = beta, prm = runningMean, prv = runningVar, psm = savedMean, psi = savedInvStd)
        {
            var job = new Job<T>
            {
                X = px, Y = py, Gamma = pg, Beta = pb, RunningMean = prm, RunningVar = prv, SavedMean = psm, SavedInvStd = psi,
                Batch = batch, Channels = channels, Spatial = spatial, Eps = eps, Momentum = momentum, Epilogue = epilogue, Training = true,
            };
            Run(ref job, &TrainingChannel<T>);
        }
    }

    // x, y: N×C×S (y overwritten); gamma, beta, runningMean, runningVar: C.
    public static void ForwardInference<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int batch, int channels, int spatial, T eps, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, y.Length, batch, channels, spatial, gamma.Length, beta.Length, runningMean.Length, runningVar.Length, channels, channels);
        fixed (T* px = x, py = y, pg = gamma, pb = beta, prm = runningMean, prv = runningVar)
        {
            var job = new Job<T> { X = px, Y = py, Gamma = pg, Beta = pb, RunningMean = prm, RunningVar = prv, Batch = batch, Channels = channels, Spatial = spatial, Eps = eps, Epilogue = epilogue };
            Run(ref job, &InferenceChannel<T>);
        }
    }

    // x, dy, dx: N×C×S; gamma, savedMean, savedInvStd, dgamma, dbeta: C. All gradients accumulate,
    // dx only where <paramref name="accumulate"/> (else it is overwritten: a caller whose dx has no
    // other contribution saves reading it, and clearing it before); dx may be empty (skip). With x̂ = (x − mean)·invStd and M = N·S:
    // dx = gamma·invStd · (dy − mean(dy) − x̂·mean(dy·x̂)), dgamma = Σ dy·x̂, dbeta = Σ dy.
    // With the relu epilogue, dy is the gradient of the relu's output and activatedOutput that output
    // (relu' is applied here).
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta,
        int batch, int channels, int spatial, Epilogue epilogue = Epilogue.None, ReadOnlySpan<T> activatedOutput = default, bool accumulate = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, dy.Length, batch, channels, spatial, gamma.Length, dgamma.Length, dbeta.Length, channels, savedMean.Length, savedInvStd.Length);
        if (!dx.IsEmpty && dx.Length < (long)batch * channels * spatial)
            throw new ArgumentException($"dx has {dx.Length} elements, fewer than {batch} × {channels} × {spatial}.", nameof(dx));
        if (epilogue != Epilogue.None && activatedOutput.Length < (long)batch * channels * spatial)
            throw new ArgumentException($"the {epilogue} epilogue needs the activated output ({batch * channels * spatial} elements), not {activatedOutput.Length}.", nameof(activatedOutput));
        fixed (T* px = x, pdy = dy, pg = gamma, psm = savedMean, psi = savedInvStd, pdx = dx, pdg = dgamma, pdb = dbeta, py = activatedOutput)
        {
            var job = new Job<T>
            {
                X = px, Dy = pdy, Y = py, Gamma = pg, SavedMean = psm, SavedInvStd = psi, Dx = dx.IsEmpty ? null : pdx, DGamma = pdg, DBeta = pdb,
                Batch = batch, Channels = channels, Spatial = spatial, Epilogue = epilogue, OverwriteDx = !accumulate,
            };
            Run(ref job, &BackwardChannel<T>);
        }
    }

    private struct Job<T> where T : unmanaged
    {
        // Y: the output (forward) or activated output (backward); with a fused pooling, the pooled one
        public T* X, Y, Dy, Dx, Gamma, Beta, RunningMean, RunningVar, SavedMean, SavedInvStd, DGamma, DBeta;
        public int* Argmax;
        public PoolGeometry Pool;
        public bool Pooled;
        public Epilogue Epilogue;
        public bool Training; // normalise with the batch statistics (else the running ones)
        public bool OverwriteDx; // backward writes dx instead of adding to it
        public int Batch, Channels, Spatial, PlanesPerItem;
        public T Eps, Momentum;
        // backward hands dx to the convolution before instead (BatchNormConvolution.cs): its padded
        // input, weight and bias (or null) gradients
        public ConvolutionBefore Before;
        public T* BeforeInput, BeforeDW, BeforeDB;
    }

    private static void Run<T>(ref Job<T> job, delegate*<void*, int, int, void> body) where T : unmanaged
    {
        // the caller's share of what backward items keep in scratch is sized here
        long own = OwnScratch(ref job);
        if (own > 0) WorkerPool.Scratch<T>(0, own);
        fixed (Job<T>* context = &job)
        {
            if ((long)job.Batch * job.Channels * job.Spatial < ParallelThreshold)
                for (int c = 0; c < job.Channels; c++) body(context, c, 0);
            else
                WorkerPool.For(job.Channels, body, context);
        }
    }

    // params span: the per-channel lengths go on the stack, not in an array per call
    private static void CheckLengths(int x, int y, int batch, int channels, int spatial, params ReadOnlySpan<int> perChannel)
    {
        long elements = (long)batch * channels * spatial;
        if (x < elements || y < elements)
            throw new ArgumentException($"batchnorm over {batch} × {channels} × {spatial} needs {elements} elements in and out; got {x} and {y}.");
        foreach (int length in perChannel)
            if (length < channels) throw new ArgumentException($"batchnorm over {channels} channels got a per-channel tensor of {length} elements.");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TrainingChannel<T>(void* context, int c, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)context;
        int batch = job.Batch, spatial = job.Spatial, stride = job.Channels * spatial;
        int m = batch * spatial;
        T* x = job.X + (nint)c * spatial;
        T sum = T.Zero;
        for (int n = 0; n < batch; n++) sum += Sum(x + (nint)n * stride, spatial);
        T mean = sum / T.CreateChecked(m);
        // two-pass variance: exact enough for float32 where E[x²] − E[x]² is not
        T squares = T.Zero;
        for (int n = 0; n < batch; n++) squares += SquaredDeviations(x + (nint)n * stride, spatial, mean);
        T variance = squares / T.CreateChecked(m);
        T invStd = T.One / T.Sqrt(variance + job.Eps);
        job.SavedMean[c] = mean;
        job.SavedInvStd[c] = invStd;
        T unbiased = m > 1 ? squares / T.CreateChecked(m - 1) : variance;
        T momentum = job.Momentum;
        job.RunningMean[c] = (T.One - momentum) * job.RunningMean[c] + momentum * mean;
        job.RunningVar[c] = (T.One - momentum) * job.RunningVar[c] + momentum * unbiased;
        // with a fused pooling the planes are normalised afterwards, in runs of whole planes
        if (!job.Pooled) Normalise(ref job, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InferenceChannel<T>(void* context, int c, int worker) where T : unmanaged, IFloatingPointIeee754<T> =>
        Normalise(ref *(Job<T>*)context, c);

    // The mean and scale channel c is normalised with: the batch statistics TrainingChannel saved, or
    // the running ones in inference. One place, so the per-channel and per-plane passes agree exactly.
    private static (T Mean, T Scale) Normalisation<T>(ref Job<T> job, int c) where T : unmanaged, IFloatingPointIeee754<T> =>
        job.Training
            ? (job.SavedMean[c], job.SavedInvStd[c] * job.Gamma[c])
            : (job.RunningMean[c], job.Gamma[c] / T.Sqrt(job.RunningVar[c] + job.Eps));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardChannel<T>(void* context, int c, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)context;
        if (job.Pooled)
        {
            PooledBackwardChannel(ref job, c, worker);
            return;
        }
        int batch = job.Batch, spatial = job.Spatial, stride = job.Channels * spatial, vc = Vector<T>.Count;
        T mean = job.SavedMean[c];
        bool relu = job.Epilogue == Epilogue.Relu;
        T sumDy = T.Zero, sumDyCentered = T.Zero;
        for (int n = 0; n < batch; n++)
        {
            nint o = (nint)n * stride + (nint)c * spatial;
            T* x = job.X + o, dy = job.Dy + o, y = job.Y + o;
            Vector<T> a = Vector<T>.Zero, b = Vector<T>.Zero, vm = new(mean);
            int s = 0;
            for (; s + vc <= spatial; s += vc)
            {
                Vector<T> g = Vector.Load(dy + s);
                if (relu) g = Vector.AndNot(g, Vector.LessThanOrEqual(Vector.Load(y + s), Vector<T>.Zero));
                a += g;
                b += g * (Vector.Load(x + s) - vm);
            }
            T sa = Vector.Sum(a), sb = Vector.Sum(b);
            for (; s < spatial; s++)
            {
                T g = relu && y[s] <= T.Zero ? T.Zero : dy[s];
                sa += g;
                sb += g * (x[s] - mean);
            }
            sumDy += sa;
            sumDyCentered += sb;
        }
        if (!ParameterGradients(ref job, c, sumDy, sumDyCentered, out T k, out T slope, out T offset)) return;
        // handed to the convolution before: each plane of dx into scratch, then into its gradients
        bool intoConvolution = job.BeforeDW != null;
        bool overwrite = job.OverwriteDx || intoConvolution;
        T* plane = intoConvolution ? WorkerPool.Scratch<T>(worker, OwnScratch(ref job)) : null;
        T* acc = stackalloc T[intoConvolution ? job.Before.Taps + 1 : 0];
        for (int n = 0; n < batch; n++)
        {
            nint o = (nint)n * stride + (nint)c * spatial;
            T* x = job.X + o, dy = job.Dy + o, dx = intoConvolution ? plane : job.Dx + o, y = job.Y + o;
            Vector<T> vk = new(k), vs = new(slope), vo = new(offset), vm = new(mean);
            int s = 0;
            for (; s + vc <= spatial; s += vc)
            {
                Vector<T> g = Vector.Load(dy + s);
                if (relu) g = Vector.AndNot(g, Vector.LessThanOrEqual(Vector.Load(y + s), Vector<T>.Zero));
                Vector<T> d = vk * g + vs * (Vector.Load(x + s) - vm) + vo;
                (overwrite ? d : Vector.Load(dx + s) + d).Store(dx + s);
            }
            for (; s < spatial; s++)
            {
                T d = k * (relu && y[s] <= T.Zero ? T.Zero : dy[s]) + slope * (x[s] - mean) + offset;
                dx[s] = overwrite ? d : dx[s] + d;
            }
            if (intoConvolution) PlaneIntoConvolution(ref job, n, plane, acc);
        }
        if (intoConvolution) FinishConvolutionBefore(ref job, c, acc);
    }

    // dgamma += Σ dy·x̂, dbeta += Σ dy for channel c, from Σ dy and Σ dy·(x − mean). Where dx is wanted
    // (true), its coefficients: dx += k·(dy − mean(dy) − x̂·mean(dy·x̂)) = k·dy + slope·(x − mean) + offset.
    private static bool ParameterGradients<T>(ref Job<T> job, int c, T sumDy, T sumDyCentered, out T k, out T slope, out T offset)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T invStd = job.SavedInvStd[c], sumDyXhat = sumDyCentered * invStd;
        job.DGamma[c] += sumDyXhat;
        job.DBeta[c] += sumDy;
        T count = T.CreateChecked(job.Batch * job.Spatial);
        k = job.Gamma[c] * invStd;
        slope = -k * invStd * (sumDyXhat / count);
        offset = -k * (sumDy / count);
        return job.Dx != null || job.BeforeDW != null;
    }

    // y = (x − mean)·scale + beta over channel c, then the epilogue.
    private static void Normalise<T>(ref Job<T> job, int c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int spatial = job.Spatial, stride = job.Channels * spatial;
        bool relu = job.Epilogue == Epilogue.Relu;
        var (mean, scale) = Normalisation(ref job, c);
        for (int n = 0; n < job.Batch; n++)
        {
            nint o = (nint)n * stride + (nint)c * spatial;
            NormalisePlane(job.X + o, job.Y + o, spatial, mean, scale, job.Beta[c], relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NormalisePlane<T>(T* x, T* y, int spatial, T mean, T scale, T shift, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count, s = 0;
        Vector<T> vm = new(mean), vs = new(scale), vb = new(shift);
        for (; s + vc <= spatial; s += vc)
        {
            Vector<T> v = (Vector.Load(x + s) - vm) * vs + vb;
            // relu keeps NaN, as the relu layer does
            if (relu) v = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero) | ~Vector.Equals(v, v), v, Vector<T>.Zero);
            v.Store(y + s);
        }
        for (; s < spatial; s++)
        {
            T v = (x[s] - mean) * scale + shift;
            y[s] = relu && !(v > T.Zero || T.IsNaN(v)) ? T.Zero : v;
        }
    }

    private static T Sum<T>(T* x, int length) where T : unmanaged, IFloatingPointIeee754<T> => Gemm.Sum(new ReadOnlySpan<T>(x, length));

    private static T SquaredDeviations<T>(T* x, int length, T mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count, s = 0;
        Vector<T> acc = Vector<T>.Zero, vm = new(mean);
        for (; s + vc <= length; s += vc)
        {
            Vector<T> d = Vector.Load(x + s) - vm;
            acc += d * d;
        }
        T sum = Vector.Sum(acc);
        for (; s < length; s++) { T d = x[s] - mean; sum += d * d; }
        return sum;
    }
}
