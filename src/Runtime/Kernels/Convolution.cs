using System;
using System.Runtime.CompilerServices;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Convolution (cross-correlation, PyTorch semantics) by the algorithm the plan chose for the layer
/// (<see cref="ConvolutionAlgorithm"/>): a GEMM on shifted views of the padded input for zero-padded layers
/// (<see cref="ShiftedInput"/>), straight on the input for 1×1 stride-1 layers, on an im2col matrix
/// otherwise; tiny layers run direct loops forward. A batch is split over the <see cref="WorkerPool"/> one example per
/// item, each worker with its own column matrix; a batch smaller than the thread count splits the
/// column matrix and the GEMM of each example instead. Backward's weight gradients are summed per
/// chain of items and the chains added in order, so no two threads write one element and the result
/// does not depend on the threads.
/// </summary>
public static unsafe partial class Convolution
{
    // input: N×C×D×H×W, weight: F×(C/g)×Kd×Kh×Kw, bias: F or empty, output: N×F×OD×OH×OW (overwritten,
    // with the epilogue applied).
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<T> output, int batch, in ConvGeometry g, ConvolutionAlgorithm algorithm, Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(input.Length, weight.Length, bias.Length, batch, g);
        CheckOutput(output.Length, batch, g);
        var runnable = ConvolutionAlgorithms.Runnable<T>(algorithm, g, backward: false);
        fixed (T* x = input, w = weight, b = bias, y = output)
        {
            var job = new ConvJob<T> { X = x, W = w, B = bias.IsEmpty ? null : b, Y = y, Geometry = g, Epilogue = epilogue, Algorithm = runnable };
            RunForward(ref job, batch);
        }
    }

    private static void RunForward<T>(ref ConvJob<T> job, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        if (job.Algorithm is ConvolutionAlgorithm.Direct or ConvolutionAlgorithm.ShiftedGemm)
        {
            nint* offsets = stackalloc nint[g.FilterSize];
            job.Shifted = new ShiftedInput(g, offsets);
        }
        job.Direct = job.Algorithm == ConvolutionAlgorithm.Direct;
        // one example per item while there are enough examples, or while one example is too small
        // to split (a split hands work to the other threads several times per layer)
        long macs = (long)g.OutChannels * g.OutSpatial * g.FilterSize;
        if (batch >= ComputeThreads.Count || macs < SplitThreshold)
        {
            // the caller's scratch is sized here, not by whichever items it happens to take, so a
            // warmed-up model allocates nothing however the items fell during warm-up
            WorkerPool.Scratch<T>(0, job.Direct ? DirectScratch(ref job) : job.Shifted.RowOffsets != null ? ShiftedForwardScratch(ref job) : ForwardScratch(ref job));
            fixed (ConvJob<T>* context = &job) WorkerPool.For(batch, &ForwardExample<T>, context);
            return;
        }
        // fewer examples than threads: parallel inside each example
        for (int n = 0; n < batch; n++)
        {
            if (job.Direct) DirectForwardSplit(ref job, n);
            else ForwardSplit(ref job, n);
        }
    }

    // input, weight: as Forward; outputGradient: N×F×OD×OH×OW — with an epilogue, the gradient of the
    // activation's output, and activatedOutput that output (the derivative is applied here).
    // inputGradient: N×C×D×H×W or empty (skip), weightGradient: like weight, biasGradient: F or empty.
    // All gradients accumulate.
    public static void Backward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, Span<T> weightGradient, Span<T> biasGradient, int batch, in ConvGeometry g, ConvolutionAlgorithm algorithm,
        Epilogue epilogue = Epilogue.None, ReadOnlySpan<T> activatedOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var runnable = ConvolutionAlgorithms.Runnable<T>(algorithm, g, backward: true);
        CheckLengths(input.Length, weight.Length, biasGradient.Length, batch, g);
        CheckOutput(outputGradient.Length, batch, g);
        CheckGradients(inputGradient.Length, weightGradient.Length, weight.Length, batch, g);
        if (epilogue != Epilogue.None && activatedOutput.Length < outputGradient.Length)
            throw new ArgumentException($"the {epilogue} epilogue needs the activated output ({outputGradient.Length} elements), not {activatedOutput.Length}.", nameof(activatedOutput));
        fixed (T* x = input, w = weight, dy = outputGradient, dx = inputGradient, dw = weightGradient, db = biasGradient, act = activatedOutput)
        {
            var job = new ConvJob<T>
            {
                X = x, W = w, DY = dy, DX = inputGradient.IsEmpty ? null : dx, DW = weightGradient.IsEmpty ? null : dw,
                DB = biasGradient.IsEmpty ? null : db, Y = act, Geometry = g, Epilogue = epilogue, Algorithm = runnable,
            };
            RunBackward(ref job, batch);
        }
    }

    private static void RunBackward<T>(ref ConvJob<T> job, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        // shifted views: a few examples per item, so the weight gradient's dot products run through
        // all of them before their horizontal sums (at least four items; not from the thread count,
        // which would change how the sums group)
        bool shifted = job.Algorithm == ConvolutionAlgorithm.ShiftedGemm;
        // only small images gain (their dot products are short, so the sums weigh); large ones would
        // only multiply the scratch (four padded VGG-16 inputs are about 100 MB per thread)
        int perItem = shifted && g.OutSpatial < 1024 ? Math.Clamp(batch / 4, 1, MaxExamplesPerItem) : 1;
        int items = (batch + perItem - 1) / perItem;
        if (shifted)
        {
            nint* offsets = stackalloc nint[g.FilterSize];
            job.Shifted = new ShiftedInput(g, offsets);
        }
        job.Batch = batch;
        job.ExamplesPerItem = perItem;
        job.Items = items;
        // chain 0 sums into the gradients themselves, every other chain into its own partial sums in
        // the caller's scratch, behind what its items use
        // (without weight and bias gradients nothing is summed across items: a chain per item)
        int partial = PartialElements(g);
        bool summed = job.DW != null || job.DB != null;
        job.Chains = summed ? Chains(items, (long)partial * sizeof(T)) : items;
        long own = shifted ? ShiftedBackwardScratch(ref job, perItem) : BackwardScratch(ref job);
        T* scratch = WorkerPool.Scratch<T>(0, own + (summed ? (long)(job.Chains - 1) * partial : 0));
        job.ChainPartials = scratch + own;
        fixed (ConvJob<T>* context = &job) WorkerPool.For(job.Chains, &BackwardChain<T>, context);
        int weights = g.OutChannels * g.FilterSize;
        for (int chain = 1; chain < job.Chains; chain++)
        {
            T* sums = job.ChainPartials + (long)(chain - 1) * partial;
            if (job.DW != null) Gemm.Axpy(T.One, new ReadOnlySpan<T>(sums, weights), new Span<T>(job.DW, weights));
            if (job.DB != null) Gemm.Axpy(T.One, new ReadOnlySpan<T>(sums + weights, g.OutChannels), new Span<T>(job.DB, g.OutChannels));
        }
    }

    // Backward items are dealt out in chains of consecutive items, a chain to a thread, and each
    // chain sums its weight and bias gradients on its own; the chains' sums are then added in chain
    // order. The result does not depend on which thread ran which chain, nor on the thread count:
    // seeded training repeats bit for bit. (Partial sums per worker had depended on which items each
    // worker happened to take: two runs of one build on 20,000 Fashion-MNIST images ended at 85.25 %
    // and 86.00 %.) Eight chains leave two threads enough units to balance, and few partial sums to
    // add after (sixteen made LeNet-5's step 2 % slower); fewer where they would pass 32 MB (layers of
    // over a million weights), but as many as the threads while those stay under 1 GB (the chains'
    // sums share the caller's scratch, one array). On more than eight threads, or for such large
    // layers, the sums depend on the thread count.
    private const int MaxChains = 8;

    internal static int Chains(int items, long partialBytes)
    {
        long perChain = Math.Max(1, partialBytes);
        long byMemory = Math.Min(MaxChains, 1 + (32L << 20) / perChain), byThreads = Math.Min(ComputeThreads.Count, 1 + (1L << 30) / perChain);
        return (int)Math.Min(items, Math.Max(byMemory, byThreads));
    }

    private static int PartialElements(in ConvGeometry g) => g.OutChannels * g.FilterSize + g.OutChannels;

    // Chain c: items [c·items/chains, (c+1)·items/chains) in order, into chain c's gradients.
    private static void BackwardChain<T>(void* context, int chain, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvJob<T> job = ref *(ConvJob<T>*)context;
        T* dw = job.DW, db = job.DB;
        if (chain > 0 && (dw != null || db != null))
        {
            int weights = job.Geometry.OutChannels * job.Geometry.FilterSize, partial = PartialElements(job.Geometry);
            T* sums = job.ChainPartials + (long)(chain - 1) * partial;
            new Span<T>(sums, partial).Clear();
            if (dw != null) dw = sums;
            if (db != null) db = sums + weights;
        }
        int first = (int)((long)chain * job.Items / job.Chains), end = (int)((long)(chain + 1) * job.Items / job.Chains);
        for (int item = first; item < end; item++) BackwardExample(ref job, item, worker, dw, db);
    }

    private struct ConvJob<T> where T : unmanaged
    {
        // Y: the output (forward) or activated output (backward); with a fused pooling, the pooled one.
        // Columns: a split example's column matrix, or its padded input on the shifted path; Target:
        // a split direct example's output planes.
        public T* X, W, B, Y, DY, DX, DW, DB, Columns, Target;
        public T* ChainPartials;
        public int* Argmax;
        public ConvGeometry Geometry;
        public PoolGeometry Pool;
        public ShiftedInput Shifted;
        public Epilogue Epilogue;
        public ConvolutionAlgorithm Algorithm;
        public bool Pooled, Direct;
        public int Example, Group, Batch, ExamplesPerItem, Items, Chains;
    }

    private static void CheckOutput(int output, int batch, in ConvGeometry g)
    {
        if (output < (long)batch * g.OutChannels * g.OutSpatial)
            throw new ArgumentException($"output has {output} elements, fewer than batch {batch} × {g.OutChannels * g.OutSpatial}.", "output");
    }

    private static void CheckGradients(int inputGradient, int weightGradient, int weight, int batch, in ConvGeometry g)
    {
        if (inputGradient != 0 && inputGradient < (long)batch * g.InChannels * g.InSpatial)
            throw new ArgumentException($"inputGradient has {inputGradient} elements, fewer than batch {batch} × {g.InChannels * g.InSpatial}.", nameof(inputGradient));
        if (weightGradient != 0 && weightGradient < weight)
            throw new ArgumentException($"weightGradient has {weightGradient} elements but weight has {weight}.", nameof(weightGradient));
    }

    private static void CheckLengths(int input, int weight, int bias, int batch, in ConvGeometry g)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1.");
        if (input < (long)batch * g.InChannels * g.InSpatial)
            throw new ArgumentException($"input has {input} elements, fewer than batch {batch} × {g.InChannels * g.InSpatial} ({g.InChannels} channels × {g.InSpatial}).", nameof(input));
        if (weight < g.OutChannels * g.FilterSize)
            throw new ArgumentException($"weight has {weight} elements but the layer needs {g.OutChannels * g.FilterSize} ({g.OutChannels} filters × {g.FilterSize}).", nameof(weight));
        if (bias != 0 && bias < g.OutChannels)
            throw new ArgumentException($"bias has {bias} elements but the layer has {g.OutChannels} filters.", "bias");
    }

    private static void SeedBias<T>(T* y, T* bias, int filters, int spatial) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // the GEMM accumulates, so each output row starts at its bias (or zero)
        for (int f = 0; f < filters; f++) new Span<T>(y + f * spatial, spatial).Fill(bias == null ? T.Zero : bias[f]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardExample<T>(void* context, int n, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvJob<T> job = ref *(ConvJob<T>*)context;
        if (job.Direct)
        {
            DirectForwardExample(ref job, n, worker);
            return;
        }
        if (job.Shifted.RowOffsets != null)
        {
            ShiftedForwardExample(ref job, n, worker);
            return;
        }
        ref readonly ConvGeometry g = ref job.Geometry;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial;
        bool pointwise = job.Algorithm == ConvolutionAlgorithm.PointwiseGemm;
        long columns = pointwise ? 0 : (long)ck * p;
        // scratch: [column matrix][the whole output, when a pooling follows]
        T* scratch = WorkerPool.Scratch<T>(worker, ForwardScratch(ref job));
        T* col = scratch, output = job.Pooled ? scratch + columns : job.Y + (nint)n * g.OutChannels * p;
        for (int gi = 0; gi < g.Groups; gi++)
        {
            T* x = job.X + ((nint)n * g.InChannels + gi * cg) * g.InSpatial;
            if (!pointwise) Im2Col(new ReadOnlySpan<T>(x, cg * g.InSpatial), new Span<T>(col, ck * p), cg, g, 0, cg);
            T* y = output + (nint)gi * fg * p;
            SeedBias(y, job.B == null ? null : job.B + gi * fg, fg, p);
            MatMul.Broadcast(fg, p, ck, job.W + gi * fg * ck, ck, 1, pointwise ? x : col, p, y, p);
        }
        if (job.Epilogue != Epilogue.None) MatMul.Apply(job.Epilogue, output, 1, g.OutChannels * p, 0);
        if (job.Pooled) PoolExample(ref job, output, n);
    }

    // Zero padding: pad the example once (split into phases when strided) and let the GEMM read each
    // column-matrix row as a shifted view of it (ShiftedInput): packing only the outputs' columns, or
    // all wide columns into a wide buffer that the outputs are copied out of.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShiftedForwardExample<T>(ref ConvJob<T> job, int n, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial;
        // scratch: [padded input][the whole output, when a pooling follows][the wide output, unless mapped]
        float* padded = WorkerPool.Scratch<float>(worker, ShiftedForwardScratch(ref job));
        float* output = job.Pooled ? padded + s.PaddedElements : (float*)job.Y + (nint)n * g.OutChannels * p;
        float* wide = padded + s.PaddedElements + (job.Pooled ? (long)g.OutChannels * p : 0);
        bool mapped = s.PackOutputsOnly(fg);
        var map = mapped ? s.Map : s.AllColumns;
        int columns = mapped ? p : s.Columns;
        float* target = mapped ? output : wide;
        s.Pad((float*)job.X + (nint)n * g.InChannels * g.InSpatial, padded);
        // the GEMM starts each strip from the bias and activates it while it is in cache
        for (int gi = 0; gi < g.Groups; gi++)
            MatMul.BroadcastShifted(fg, columns, ck, (float*)job.W + gi * fg * ck, ck, 1, padded + (nint)gi * cg * s.ChannelStride, s.RowOffsets, map, 0,
                target + (nint)gi * fg * columns, columns, seed: true, rowSeed: job.B == null ? null : (float*)job.B + gi * fg, relu: job.Epilogue == Epilogue.Relu);
        if (!mapped) s.Extract(wide, g.OutChannels, output);
        if (job.Pooled) PoolExample(ref job, (T*)output, n);
    }

    private const int MaxExamplesPerItem = 4;

    // Scratch elements of one item of each path, as the layouts in the item methods describe them.
    private static long ForwardScratch<T>(ref ConvJob<T> job) where T : unmanaged
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        long columns = job.Algorithm == ConvolutionAlgorithm.PointwiseGemm ? 0 : (long)g.FilterSize * g.OutSpatial;
        return columns + (job.Pooled ? (long)g.OutChannels * g.OutSpatial : 0);
    }

    private static long ShiftedForwardScratch<T>(ref ConvJob<T> job) where T : unmanaged
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        long wide = job.Shifted.PackOutputsOnly(g.OutChannels / g.Groups) ? 0 : (long)g.OutChannels * job.Shifted.Columns;
        return job.Shifted.PaddedElements + (job.Pooled ? (long)g.OutChannels * g.OutSpatial : 0) + wide;
    }

    private static long ShiftedBackwardScratch<T>(ref ConvJob<T> job, int examples) where T : unmanaged
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        long perExample = job.Shifted.PaddedElements + (long)g.OutChannels * job.Shifted.Columns;
        long columnElements = job.DX == null || InputGradientIntoTaps(g) ? 0 : (long)g.FilterSize * job.Shifted.Columns;
        long transposed = job.DW != null && WeightGradientAsGemm(g) ? (long)g.FilterSize * (g.OutChannels / g.Groups) : 0;
        return examples * perExample + columnElements + UnpoolScratch(ref job) + transposed;
    }

    // The shifted weight gradient runs as a broadcast GEMM per tap (rows: input channels, columns:
    // filters) where a group has a whole 6-row tile of channels and a whole 32-column strip of filters;
    // below, as dot products. LeNet-5's conv2 (6 channels, 16 filters: every tile an edge tile) took
    // 1.19 ms that way against 0.70 as dot products; VGG-ish layers went from 65 to 80 GFLOP/s.
    private static bool WeightGradientAsGemm(in ConvGeometry g) => g.InChannels / g.Groups >= 6 && g.OutChannels / g.Groups >= 32;

    // The shifted input gradient is added into the padded gradient tap by tap (rows: input channels)
    // where a group has a whole 6-row tile of channels; below, through a column gradient.
    private static bool InputGradientIntoTaps(in ConvGeometry g) => g.InChannels / g.Groups >= 6;

    private static long BackwardScratch<T>(ref ConvJob<T> job) where T : unmanaged
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        long outElements = (long)g.OutChannels * g.OutSpatial;
        long masked = job.Pooled ? UnpoolScratch(ref job) : job.Epilogue == Epilogue.None ? 0 : outElements;
        long columns = job.Algorithm == ConvolutionAlgorithm.PointwiseGemm ? 0 : (long)g.FilterSize * g.OutSpatial;
        return masked + columns;
    }

    // Unpool's target (the example's whole output gradient) and its masked plane of pooled gradients.
    private static long UnpoolScratch<T>(ref ConvJob<T> job) where T : unmanaged =>
        job.Pooled ? (long)job.Geometry.OutChannels * job.Geometry.OutSpatial + job.Pool.OutSpatial : 0;

    // Multiply-adds of one example below which it is not split over threads.
    private const long SplitThreshold = 1 << 18;

    // The adjoint of ShiftedForwardExample for examples [first, end): each dY (relu' applied) is
    // widened to the GEMM's columns; dW is a GEMM per tap of the shifted views of the padded inputs
    // with the dYs (dot products with one accumulator through all examples' segments, for layers too
    // narrow for tiles); dX is added into a padded gradient through the same views, tap by tap (or
    // through a column gradient, for narrow layers), and cropped out of the padding.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShiftedBackwardExamples<T>(ref ConvJob<T> job, int first, int end, int worker, float* dw, float* db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial;
        int columns = s.Columns, count = end - first;
        // scratch: per example [padded x, later dx][wide dY]; then [column gradient][unpooled dY][dWᵀ
        // of the per-tap GEMM], as ShiftedBackwardScratch sizes them, for a whole item even when this
        // one (the last) has fewer examples
        long wideElements = (long)g.OutChannels * columns, perExample = s.PaddedElements + wideElements;
        long columnElements = job.DX == null || InputGradientIntoTaps(g) ? 0 : (long)ck * columns;
        float* scratch = WorkerPool.Scratch<float>(worker, ShiftedBackwardScratch(ref job, job.ExamplesPerItem));
        float* columnGradient = scratch + job.ExamplesPerItem * perExample, unpooled = columnGradient + columnElements;
        for (int e = 0; e < count; e++)
        {
            int n = first + e;
            float* padded = scratch + e * perExample, wide = padded + s.PaddedElements;
            nint outOffset = (nint)n * g.OutChannels * p;
            if (job.Pooled)
            {
                Unpool(ref job, n, (T*)unpooled);
                s.Widen(unpooled, null, g.OutChannels, wide);
            }
            else
            {
                s.Widen((float*)job.DY + outOffset, job.Epilogue == Epilogue.None ? null : (float*)job.Y + outOffset, g.OutChannels, wide);
            }
            if (db != null)
                for (int f = 0; f < g.OutChannels; f++) db[f] += Gemm.Sum(new ReadOnlySpan<float>(wide + (nint)f * columns, columns));
            if (dw != null) s.Pad((float*)job.X + (nint)n * g.InChannels * g.InSpatial, padded);
        }
        if (dw != null)
        {
            float** dySegments = stackalloc float*[MaxExamplesPerItem];
            float** viewSegments = stackalloc float*[MaxExamplesPerItem];
            float* transposed = unpooled + UnpoolScratch(ref job);
            int taps = g.KernelVolume;
            for (int gi = 0; gi < g.Groups; gi++)
            {
                for (int e = 0; e < count; e++)
                {
                    float* padded = scratch + e * perExample;
                    dySegments[e] = padded + s.PaddedElements + (nint)gi * fg * columns;
                    viewSegments[e] = padded + (nint)gi * cg * s.ChannelStride;
                }
                float* dwg = dw + gi * fg * ck;
                if (!WeightGradientAsGemm(g))
                {
                    // dW (fg×ck) += Σ over the examples of dY (fg×columns) · viewsᵀ
                    MatMul.DotShiftedSegments(fg, ck, columns, dySegments, viewSegments, count, columns, s.RowOffsets, dwg, ck);
                    continue;
                }
                // dWᵀ with rows in (tap, channel) order (taps·cg × fg) = Σ over the examples of views · dYᵀ,
                // then added to dW (fg × cg·taps) transposed; row t·cg + c of the views is channel c's
                // tap t, which is the channel stride from channel c − 1's
                new Span<float>(transposed, ck * fg).Clear();
                MatMul.TapsTimesTransposed(cg, fg, columns, taps, s.RowOffsets, s.ChannelStride, viewSegments, dySegments, columns, count, transposed, fg);
                for (int t = 0; t < taps; t++)
                    for (int c = 0; c < cg; c++)
                    {
                        float* row = transposed + (nint)(t * cg + c) * fg;
                        float* target = dwg + c * taps + t;
                        for (int f = 0; f < fg; f++) target[(nint)f * ck] += row[f];
                    }
            }
        }
        if (job.DX == null) return;
        for (int e = 0; e < count; e++)
        {
            float* padded = scratch + e * perExample, wide = padded + s.PaddedElements;
            new Span<float>(padded, (int)s.PaddedElements).Clear();
            for (int gi = 0; gi < g.Groups; gi++)
            {
                float* paddedGroup = padded + (nint)gi * cg * s.ChannelStride;
                if (InputGradientIntoTaps(g))
                {
                    // for each tap t: the padded gradient's view of t (cg × columns, channel stride apart)
                    // += W_tᵀ (cg × fg, W_t(c, f) = W[f][c·taps + t]) · dY (fg × columns)
                    MatMul.BroadcastIntoTaps(cg, columns, fg, g.KernelVolume, (float*)job.W + gi * fg * ck, 1, g.KernelVolume, ck,
                        wide + (nint)gi * fg * columns, columns, paddedGroup, s.RowOffsets, s.ChannelStride);
                    continue;
                }
                // column gradient (ck×columns) = Wᵀ (ck×fg) · dY (fg×columns)
                new Span<float>(columnGradient, (int)columnElements).Clear();
                MatMul.Broadcast(ck, columns, fg, (float*)job.W + gi * fg * ck, 1, ck, wide + (nint)gi * fg * columns, columns, columnGradient, columns);
                s.ScatterAdd(columnGradient, ck, paddedGroup);
            }
            s.CropAdd(padded, (float*)job.DX + (nint)(first + e) * g.InChannels * g.InSpatial);
        }
    }

    // One example over all threads: on shifted views in bands of output positions (ShiftedForwardSplit);
    // otherwise the column matrix is built channel by channel in parallel into the caller's scratch,
    // then the GEMM is split into blocks of the output.
    private static void ForwardSplit<T>(ref ConvJob<T> job, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (job.Shifted.RowOffsets != null)
        {
            ShiftedForwardSplit(ref job, n);
            return;
        }
        ref readonly ConvGeometry g = ref job.Geometry;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial;
        bool pointwise = job.Algorithm == ConvolutionAlgorithm.PointwiseGemm;
        job.Example = n;
        long columns = pointwise ? 0 : (long)ck * p;
        T* whole = null;
        if (!pointwise || job.Pooled)
        {
            job.Columns = WorkerPool.Scratch<T>(0, columns + (job.Pooled ? (long)g.OutChannels * p : 0));
            if (job.Pooled) whole = job.Columns + columns;
        }
        for (int gi = 0; gi < g.Groups; gi++)
        {
            T* x = job.X + ((nint)n * g.InChannels + gi * cg) * g.InSpatial;
            if (!pointwise)
            {
                job.Group = gi;
                fixed (ConvJob<T>* context = &job) WorkerPool.For(cg, &Im2ColChannel<T>, context);
            }
            T* y = job.Pooled ? whole + (nint)gi * fg * p : job.Y + ((nint)n * g.OutChannels + gi * fg) * p;
            MatMul.ParallelBroadcast(fg, p, ck, job.W + gi * fg * ck, ck, 1, pointwise ? x : job.Columns, p, y, p, job.Epilogue,
                seed: true, rowSeed: job.B == null ? null : job.B + gi * fg);
        }
        if (job.Pooled) PoolSplit(ref job, whole, n);
    }

    // Padded elements from which a split example is padded on all threads: a 224² layer's padding was
    // a few per cent of its time on one thread while the other waited, and a 32×32 CIFAR layer's (37K
    // floats) 5 % of its 160 µs; an 8×8 one's is a microsecond or two, less than handing it over.
    private const long ParallelPadThreshold = 1 << 13;

    // One channel of a split example's padded input (into job.Columns).
    private static void PadChannel<T>(void* context, int channel, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvJob<T> job = ref *(ConvJob<T>*)context;
        ref readonly ConvGeometry g = ref job.Geometry;
        job.Shifted.PadChannels((float*)job.X + (nint)job.Example * g.InChannels * g.InSpatial, (float*)job.Columns, channel, channel + 1);
    }

    private static void Im2ColChannel<T>(void* context, int channel, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvJob<T> job = ref *(ConvJob<T>*)context;
        ref readonly ConvGeometry g = ref job.Geometry;
        int cg = g.InChannels / g.Groups;
        T* x = job.X + ((nint)job.Example * g.InChannels + job.Group * cg) * g.InSpatial;
        Im2Col(new ReadOnlySpan<T>(x, cg * g.InSpatial), new Span<T>(job.Columns, g.FilterSize * g.OutSpatial), cg, g, channel, channel + 1);
    }

    // Item n (examples [n·ExamplesPerItem, …)), its weight and bias gradients added to dw and db.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardExample<T>(ref ConvJob<T> job, int n, int worker, T* dw, T* db) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (job.Shifted.RowOffsets != null)
        {
            int first = n * job.ExamplesPerItem;
            ShiftedBackwardExamples<T>(ref job, first, Math.Min(job.Batch, first + job.ExamplesPerItem), worker, (float*)dw, (float*)db);
            return;
        }
        ref readonly ConvGeometry g = ref job.Geometry;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial;
        int weights = g.OutChannels * ck, outElements = g.OutChannels * p;
        bool pointwise = job.Algorithm == ConvolutionAlgorithm.PointwiseGemm;
        // scratch: [masked or unpooled dY][column matrix]
        long masked = job.Pooled ? UnpoolScratch(ref job) : job.Epilogue == Epilogue.None ? 0 : outElements;
        long columns = pointwise ? 0 : (long)ck * p;
        T* scratch = WorkerPool.Scratch<T>(worker, BackwardScratch(ref job));
        T* dy = job.DY + (nint)n * outElements;
        if (job.Pooled)
        {
            Unpool(ref job, n, scratch);
            dy = scratch;
        }
        else if (job.Epilogue != Epilogue.None)
        {
            Epilogues.ReluGradient(new ReadOnlySpan<T>(job.Y + (nint)n * outElements, outElements), new ReadOnlySpan<T>(dy, outElements), new Span<T>(scratch, outElements));
            dy = scratch;
        }
        T* col = scratch + masked;
        for (int gi = 0; gi < g.Groups; gi++)
        {
            T* dyg = dy + gi * fg * p;
            T* w = job.W + gi * fg * ck;
            T* x = job.X + ((nint)n * g.InChannels + gi * cg) * g.InSpatial;
            if (db != null)
                for (int f = 0; f < fg; f++) db[gi * fg + f] += Gemm.Sum(new ReadOnlySpan<T>(dyg + f * p, p));
            if (dw != null)
            {
                if (!pointwise) Im2Col(new ReadOnlySpan<T>(x, cg * g.InSpatial), new Span<T>(col, ck * p), cg, g, 0, cg);
                // dW (fg×ck) += dY (fg×p) · colᵀ
                MatMul.Dot(fg, ck, p, dyg, p, pointwise ? x : col, p, dw + gi * fg * ck, ck);
            }
            if (job.DX != null)
            {
                T* dx = job.DX + ((nint)n * g.InChannels + gi * cg) * g.InSpatial;
                // dcol (ck×p) = Wᵀ (ck×fg) · dY (fg×p); pointwise columns are the input itself
                if (pointwise)
                {
                    MatMul.Broadcast(ck, p, fg, w, 1, ck, dyg, p, dx, p);
                }
                else
                {
                    var dcol = new Span<T>(col, ck * p);
                    dcol.Clear();
                    MatMul.Broadcast(ck, p, fg, w, 1, ck, dyg, p, col, p);
                    Col2Im(dcol, new Span<T>(dx, cg * g.InSpatial), cg, g);
                }
            }
        }
    }

    // x: channels×D×H×W of one example-group → col: (channels·Kd·Kh·Kw) × (OD·OH·OW),
    // row index ((c·Kd + kd)·Kh + kh)·Kw + kw to match the weight layout.
    // Only channels [firstChannel, endChannel) are written, so channels can be split over threads.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Im2Col<T>(ReadOnlySpan<T> x, Span<T> col, int channels, in ConvGeometry g, int firstChannel, int endChannel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int od = g.OutDepth, oh = g.OutHeight, ow = g.OutWidth, p = g.OutSpatial;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, inSpatial = g.InSpatial;
        PaddingMode mode = g.Mode;
        int row = firstChannel * g.KernelVolume;
        for (int c = firstChannel; c < endChannel; c++)
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++, row++)
        {
            int wOffset = kw * g.DilationWidth - g.PadWidth;
            WidthRange(wOffset, g.StrideWidth, ow, iw, out int owLo, out int owHi);
            for (int zd = 0; zd < od; zd++)
            {
                int sd = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, id, mode);
                for (int zh = 0; zh < oh; zh++)
                {
                    Span<T> dst = col.Slice(row * p + (zd * oh + zh) * ow, ow);
                    int sh = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, ih, mode);
                    if (sd < 0 || sh < 0) { dst.Clear(); continue; }
                    ReadOnlySpan<T> src = x.Slice(c * inSpatial + (sd * ih + sh) * iw, iw);
                    // borders go through the padding map; the interior is a plain (strided) copy
                    for (int zw = 0; zw < owLo; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        dst[zw] = sw < 0 ? T.Zero : src[sw];
                    }
                    if (g.StrideWidth == 1)
                    {
                        if (owHi > owLo) src.Slice(owLo + wOffset, owHi - owLo).CopyTo(dst.Slice(owLo, owHi - owLo));
                    }
                    else
                    {
                        for (int zw = owLo; zw < owHi; zw++) dst[zw] = src[zw * g.StrideWidth + wOffset];
                    }
                    for (int zw = Math.Max(owHi, owLo); zw < ow; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        dst[zw] = sw < 0 ? T.Zero : src[sw];
                    }
                }
            }
        }
    }

    // The adjoint of Im2Col: every column entry is added back to the input element it was read from
    // (for non-zero padding modes that is the mapped in-range element). dx accumulates.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Col2Im<T>(ReadOnlySpan<T> col, Span<T> dx, int channels, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int od = g.OutDepth, oh = g.OutHeight, ow = g.OutWidth, p = g.OutSpatial;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, inSpatial = g.InSpatial;
        PaddingMode mode = g.Mode;
        int row = 0;
        for (int c = 0; c < channels; c++)
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++, row++)
        {
            int wOffset = kw * g.DilationWidth - g.PadWidth;
            WidthRange(wOffset, g.StrideWidth, ow, iw, out int owLo, out int owHi);
            for (int zd = 0; zd < od; zd++)
            {
                int sd = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, id, mode);
                for (int zh = 0; zh < oh; zh++)
                {
                    int sh = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, ih, mode);
                    if (sd < 0 || sh < 0) continue;
                    ReadOnlySpan<T> src = col.Slice(row * p + (zd * oh + zh) * ow, ow);
                    Span<T> dst = dx.Slice(c * inSpatial + (sd * ih + sh) * iw, iw);
                    for (int zw = 0; zw < owLo; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        if (sw >= 0) dst[sw] += src[zw];
                    }
                    for (int zw = owLo; zw < owHi; zw++) dst[zw * g.StrideWidth + wOffset] += src[zw];
                    for (int zw = Math.Max(owHi, owLo); zw < ow; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        if (sw >= 0) dst[sw] += src[zw];
                    }
                }
            }
        }
    }

    // Output columns [lo, hi) whose input column zw·stride + offset lies inside [0, width).
    private static void WidthRange(int offset, int stride, int outWidth, int width, out int lo, out int hi)
    {
        // smallest zw with zw·stride + offset ≥ 0
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        // largest zw with zw·stride + offset ≤ width - 1, plus one
        int last = width - 1 - offset;
        hi = last < 0 ? 0 : last / stride + 1;
        lo = Math.Min(lo, outWidth);
        hi = Math.Min(hi, outWidth);
        if (hi < lo) hi = lo;
    }
}

/// <summary>
/// Direct-loop convolution: slow and obviously correct, the oracle the tests check
/// <see cref="Convolution"/> against. Not for use by generated models.
/// </summary>
public static class ConvolutionReference
{
    // input: N×C×D×H×W, weight: F×(C/g)×Kd×Kh×Kw, bias: F or empty, output: N×F×OD×OH×OW (overwritten).
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<T> output, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups;
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < g.OutChannels; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        for (int zw = 0; zw < g.OutWidth; zw++)
        {
            T sum = bias.IsEmpty ? T.Zero : bias[f];
            for (int c = 0; c < cg; c++)
            for (int kd = 0; kd < g.KernelDepth; kd++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int xi = InputIndex(n, f / fg * cg + c, zd, zh, zw, kd, kh, kw, g);
                if (xi < 0) continue;
                sum += input[xi] * weight[WeightIndex(f, c, kd, kh, kw, g)];
            }
            output[OutputIndex(n, f, zd, zh, zw, g)] = sum;
        }
    }

    // Shapes as Forward; every gradient accumulates; an empty gradient span is skipped.
    public static void Backward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, Span<T> weightGradient, Span<T> biasGradient, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups;
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < g.OutChannels; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        for (int zw = 0; zw < g.OutWidth; zw++)
        {
            T dy = outputGradient[OutputIndex(n, f, zd, zh, zw, g)];
            if (!biasGradient.IsEmpty) biasGradient[f] += dy;
            for (int c = 0; c < cg; c++)
            for (int kd = 0; kd < g.KernelDepth; kd++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int xi = InputIndex(n, f / fg * cg + c, zd, zh, zw, kd, kh, kw, g);
                if (xi < 0) continue;
                int wi = WeightIndex(f, c, kd, kh, kw, g);
                if (!inputGradient.IsEmpty) inputGradient[xi] += weight[wi] * dy;
                if (!weightGradient.IsEmpty) weightGradient[wi] += input[xi] * dy;
            }
        }
    }

    // Flat index of the input element that output (zd, zh, zw) reads through kernel tap (kd, kh, kw),
    // or -1 where it reads zero padding.
    private static int InputIndex(int n, int c, int zd, int zh, int zw, int kd, int kh, int kw, in ConvGeometry g)
    {
        int d = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, g.InDepth, g.Mode);
        int h = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, g.InHeight, g.Mode);
        int w = Padding.Map(zw * g.StrideWidth - g.PadWidth + kw * g.DilationWidth, g.InWidth, g.Mode);
        if (d < 0 || h < 0 || w < 0) return -1;
        return (((n * g.InChannels + c) * g.InDepth + d) * g.InHeight + h) * g.InWidth + w;
    }

    private static int WeightIndex(int f, int c, int kd, int kh, int kw, in ConvGeometry g) =>
        (((f * (g.InChannels / g.Groups) + c) * g.KernelDepth + kd) * g.KernelHeight + kh) * g.KernelWidth + kw;

    private static int OutputIndex(int n, int f, int zd, int zh, int zw, in ConvGeometry g) =>
        (((n * g.OutChannels + f) * g.OutDepth + zd) * g.OutHeight + zh) * g.OutWidth + zw;
}
