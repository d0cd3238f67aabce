using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// A batchnorm's backward that hands its input gradient straight to the convolution before it, for
/// the first block of a network ("conv → batchnorm → …" on the image): that convolution needs no
/// input gradient, only its weight gradient, Σ dY·(the input under each tap). Each plane of dx is
/// made in a worker's scratch, and the convolution's weight gradient takes its share while it is in
/// L1; dx never reaches memory and the convolution has no backward pass of its own. Written out, the
/// dx of FashionNet's first block is 6.4 MB per step of batch 64, written by the batchnorm and read
/// back by the convolution, both from memory.
/// </summary>
public static unsafe partial class BatchNorm
{
    /// <summary>Whether the Backward…IntoConvolution methods can take the weight gradient of
    /// convolution <paramref name="conv"/> whose output a batchnorm over <paramref name="channels"/>
    /// planes of <paramref name="spatial"/> positions normalises: the shape rule the planner uses
    /// (ConvShape.CanGiveWeightGradientToBatchNorm, KernelLimits.cs), and that output.</summary>
    public static bool CanTakeConvolutionGradient(in ConvGeometry conv, int channels, int spatial) =>
        conv.Shape.CanGiveWeightGradientToBatchNorm && conv.OutChannels == channels && conv.OutSpatial == spatial;

    /// <summary>As <see cref="Backward{T}"/>, with x the output of convolution <paramref name="conv"/> of
    /// <paramref name="convInput"/> and that output read by nothing else: instead of dx, the
    /// convolution's weight (and, unless empty, bias) gradients accumulate what dx contributes to them.
    /// The convolution's input gradient is not computed.</summary>
    public static void BackwardIntoConvolution<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dgamma, Span<T> dbeta, int batch, int channels, int spatial,
        ReadOnlySpan<T> convInput, in ConvGeometry conv, Span<T> convWeightGradient, Span<T> convBiasGradient,
        Epilogue epilogue = Epilogue.None, ReadOnlySpan<T> activatedOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, dy.Length, batch, channels, spatial, gamma.Length, dgamma.Length, dbeta.Length, channels, savedMean.Length, savedInvStd.Length);
        if (epilogue != Epilogue.None && activatedOutput.Length < (long)batch * channels * spatial)
            throw new ArgumentException($"the {epilogue} epilogue needs the activated output ({batch * channels * spatial} elements), not {activatedOutput.Length}.", nameof(activatedOutput));
        CheckConvolutionBefore(convInput.Length, conv, convWeightGradient.Length, convBiasGradient.Length, batch, channels, spatial);
        fixed (T* px = x, pdy = dy, pg = gamma, psm = savedMean, psi = savedInvStd, pdg = dgamma, pdb = dbeta, py = activatedOutput)
        fixed (T* pin = convInput, pdw = convWeightGradient, pcb = convBiasGradient)
        {
            var job = new Job<T>
            {
                X = px, Dy = pdy, Y = py, Gamma = pg, SavedMean = psm, SavedInvStd = psi, DGamma = pdg, DBeta = pdb,
                Batch = batch, Channels = channels, Spatial = spatial, Epilogue = epilogue,
                Before = ConvolutionBefore.Of(conv), BeforeDW = pdw, BeforeDB = convBiasGradient.IsEmpty ? null : pcb,
            };
            RunIntoConvolution(ref job, pin);
        }
    }

    /// <summary>As <see cref="BackwardMaxPooled{T}"/>, with x the output of convolution
    /// <paramref name="conv"/> of <paramref name="convInput"/>, as <see cref="BackwardIntoConvolution{T}"/>.</summary>
    public static void BackwardMaxPooledIntoConvolution<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> pooledOutputGradient, ReadOnlySpan<T> pooledOutput, ReadOnlySpan<int> argmax,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dgamma, Span<T> dbeta,
        int batch, int channels, int spatial, in PoolGeometry pool,
        ReadOnlySpan<T> convInput, in ConvGeometry conv, Span<T> convWeightGradient, Span<T> convBiasGradient, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, x.Length, batch, channels, spatial, gamma.Length, dgamma.Length, dbeta.Length, savedMean.Length, savedInvStd.Length);
        CheckPooled(pooledOutputGradient.Length, argmax.Length, batch, channels, spatial, pool, nameof(pooledOutputGradient));
        if (epilogue != Epilogue.None && pooledOutput.Length < pooledOutputGradient.Length)
            throw new ArgumentException($"the {epilogue} epilogue needs the pooled output ({pooledOutputGradient.Length} elements), not {pooledOutput.Length}.", nameof(pooledOutput));
        CheckConvolutionBefore(convInput.Length, conv, convWeightGradient.Length, convBiasGradient.Length, batch, channels, spatial);
        fixed (T* px = x, pdy = pooledOutputGradient, py = pooledOutput, pg = gamma, psm = savedMean, psi = savedInvStd, pdg = dgamma, pdb = dbeta)
        fixed (T* pin = convInput, pdw = convWeightGradient, pcb = convBiasGradient)
        fixed (int* am = argmax)
        {
            var job = new Job<T>
            {
                X = px, Dy = pdy, Y = py, Argmax = am, Pool = pool, Pooled = true, Gamma = pg, SavedMean = psm, SavedInvStd = psi,
                DGamma = pdg, DBeta = pdb, Batch = batch, Channels = channels, Spatial = spatial, Epilogue = epilogue,
                Before = ConvolutionBefore.Of(conv), BeforeDW = pdw, BeforeDB = convBiasGradient.IsEmpty ? null : pcb,
            };
            RunIntoConvolution(ref job, pin);
        }
    }

    // The convolution before a batchnorm, as its weight gradient reads it: the input zero-padded to
    // the rows and columns the taps reach (Height × Width per channel, examples ExamplePitch apart).
    private readonly struct ConvolutionBefore
    {
        public readonly int InChannels, InHeight, InWidth, PadHeight, PadWidth, KernelHeight, KernelWidth, OutHeight, OutWidth, Height, Width;

        private ConvolutionBefore(in ConvGeometry g)
        {
            InChannels = g.InChannels;
            InHeight = g.InHeight;
            InWidth = g.InWidth;
            PadHeight = g.PadHeight;
            PadWidth = g.PadWidth;
            KernelHeight = g.KernelHeight;
            KernelWidth = g.KernelWidth;
            OutHeight = g.OutHeight;
            OutWidth = g.OutWidth;
            Height = g.OutHeight + g.KernelHeight - 1;
            Width = g.OutWidth + g.KernelWidth - 1;
        }

        public static ConvolutionBefore Of(in ConvGeometry g) => new(g);

        public int Taps => InChannels * KernelHeight * KernelWidth;
        public long ExamplePitch => (long)InChannels * Height * Width;
    }

    private static void CheckConvolutionBefore(int input, in ConvGeometry conv, int weightGradient, int biasGradient, int batch, int channels, int spatial)
    {
        if (!CanTakeConvolutionGradient(conv, channels, spatial))
            throw new ArgumentException($"the convolution {conv} cannot hand its weight gradient to a batchnorm over {channels} planes of {spatial} positions: "
                + $"it must be 1-D or 2-D with stride and dilation 1, zero padding, one group, at most {CnnDsl.Planning.KernelLimits.MaxChannelsForBatchNormTakingGradient} input channels, and output those planes.", nameof(conv));
        if (input < (long)batch * conv.InChannels * conv.InSpatial)
            throw new ArgumentException($"the convolution's input has {input} elements, fewer than batch {batch} × {conv.InChannels * conv.InSpatial}.", "convInput");
        if (weightGradient < conv.OutChannels * conv.FilterSize)
            throw new ArgumentException($"the convolution's weight gradient has {weightGradient} elements but it has {conv.OutChannels} × {conv.FilterSize} weights.", "convWeightGradient");
        if (biasGradient != 0 && biasGradient < conv.OutChannels)
            throw new ArgumentException($"the convolution's bias gradient has {biasGradient} elements but it has {conv.OutChannels} filters.", "convBiasGradient");
    }

    // The caller pads every example once into its scratch, behind its own part, for all workers to read.
    private static void RunIntoConvolution<T>(ref Job<T> job, T* input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvolutionBefore before = ref job.Before;
        long padded = job.Batch * before.ExamplePitch;
        T* scratch = WorkerPool.Scratch<T>(0, OwnScratch(ref job) + padded);
        job.BeforeInput = scratch + OwnScratch(ref job);
        int rows = Math.Min(before.InHeight, before.Height - before.PadHeight), columns = Math.Min(before.InWidth, before.Width - before.PadWidth);
        for (int n = 0; n < job.Batch; n++)
        {
            new Span<T>(job.BeforeInput + n * before.ExamplePitch, (int)before.ExamplePitch).Clear();
            for (int c = 0; c < before.InChannels; c++)
            {
                T* source = input + ((long)n * before.InChannels + c) * before.InHeight * before.InWidth;
                T* target = job.BeforeInput + n * before.ExamplePitch + (long)c * before.Height * before.Width + before.PadHeight * before.Width + before.PadWidth;
                for (int r = 0; r < rows; r++)
                    new ReadOnlySpan<T>(source + (long)r * before.InWidth, columns).CopyTo(new Span<T>(target + (long)r * before.Width, columns));
            }
        }
        Run(ref job, &BackwardChannel<T>);
    }

    // What each worker's scratch holds for a backward item: the masked pooled gradients of a
    // channel's planes (fused pooling), then two planes of dx (handing it to the convolution before).
    private static long OwnScratch<T>(ref Job<T> job) where T : unmanaged =>
        (job.Pooled ? (long)job.Batch * job.Pool.OutSpatial : 0) + (job.BeforeDW != null ? 2L * job.Spatial : 0);

    // One plane of dx (example n, channel c) into the convolution's gradients: weights[tap] +=
    // Σ d(o)·input(o + tap) for every input channel and tap, bias += Σ d(o). Sums go to acc (the
    // taps' in the weights' order, then the bias) so that the channel adds to the gradients once.
    private static void PlaneIntoConvolution<T>(ref Job<T> job, int n, T* d, T* acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvolutionBefore before = ref job.Before;
        T* image = job.BeforeInput + n * before.ExamplePitch;
        int planeSize = before.Height * before.Width;
        if (typeof(T) == typeof(float) && before.KernelHeight == 3 && before.KernelWidth == 3 && Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported)
        {
            for (int c = 0; c < before.InChannels; c++)
                PlaneTaps3x3((float*)d, (float*)image + (long)c * planeSize, before.OutHeight, before.OutWidth, before.Width, (float*)acc + 9 * c);
        }
        else
        {
            for (int c = 0; c < before.InChannels; c++)
            for (int ky = 0; ky < before.KernelHeight; ky++)
            for (int kx = 0; kx < before.KernelWidth; kx++)
            {
                T sum = T.Zero;
                T* view = image + (long)c * planeSize + ky * before.Width + kx;
                for (int oy = 0; oy < before.OutHeight; oy++)
                {
                    T* dRow = d + oy * before.OutWidth, inRow = view + oy * before.Width;
                    for (int ox = 0; ox < before.OutWidth; ox++) sum += dRow[ox] * inRow[ox];
                }
                acc[(c * before.KernelHeight + ky) * before.KernelWidth + kx] += sum;
            }
        }
        if (job.BeforeDB != null) acc[before.Taps] += Sum(d, job.Spatial);
    }

    // The nine taps of a 3×3 kernel over one plane: each d vector is loaded once for all nine, the
    // input rows under it masked past the row's end (masked-off lanes read nothing).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneTaps3x3(float* d, float* image, int outHeight, int outWidth, int width, float* acc)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default, a20 = default, a21 = default, a22 = default;
        for (int oy = 0; oy < outHeight; oy++)
        {
            float* dRow = d + oy * outWidth, r0 = image + oy * width, r1 = r0 + width, r2 = r1 + width;
            for (int ox = 0; ox < outWidth; ox += 16)
            {
                var mask = Simd512.FirstLanes(Math.Min(16, outWidth - ox)).AsSingle();
                var dv = Avx512F.MaskLoad(dRow + ox, mask, Vector512<float>.Zero);
                a00 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r0 + ox, mask, Vector512<float>.Zero), a00);
                a01 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r0 + ox + 1, mask, Vector512<float>.Zero), a01);
                a02 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r0 + ox + 2, mask, Vector512<float>.Zero), a02);
                a10 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r1 + ox, mask, Vector512<float>.Zero), a10);
                a11 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r1 + ox + 1, mask, Vector512<float>.Zero), a11);
                a12 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r1 + ox + 2, mask, Vector512<float>.Zero), a12);
                a20 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r2 + ox, mask, Vector512<float>.Zero), a20);
                a21 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r2 + ox + 1, mask, Vector512<float>.Zero), a21);
                a22 = Avx512F.FusedMultiplyAdd(dv, Avx512F.MaskLoad(r2 + ox + 2, mask, Vector512<float>.Zero), a22);
            }
        }
        acc[0] += Vector512.Sum(a00); acc[1] += Vector512.Sum(a01); acc[2] += Vector512.Sum(a02);
        acc[3] += Vector512.Sum(a10); acc[4] += Vector512.Sum(a11); acc[5] += Vector512.Sum(a12);
        acc[6] += Vector512.Sum(a20); acc[7] += Vector512.Sum(a21); acc[8] += Vector512.Sum(a22);
    }

    // Channel c's sums into the convolution's gradients: filter c's weights, and its bias.
    private static void FinishConvolutionBefore<T>(ref Job<T> job, int c, T* acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int taps = job.Before.Taps;
        T* dw = job.BeforeDW + (long)c * taps;
        for (int t = 0; t < taps; t++) dw[t] += acc[t];
        if (job.BeforeDB != null) job.BeforeDB[c] += acc[taps];
    }
}
