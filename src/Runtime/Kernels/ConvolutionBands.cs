using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// One example of a shifted-view layer on all threads (fewer examples than threads) as one job. Each
/// item multiplies a block of filters by a band of output positions: it pads the input rows its band
/// reads into its worker's own buffer, multiplies (packing only the outputs' columns, or, for rows
/// that cut into whole strips, reading the padded input in place), starts the outputs at the bias and
/// activates them strip by strip, and pools the band's rows when the pooling windows stay inside a
/// band, all in its own core's cache. Padding first on all threads, then the GEMM in column blocks,
/// then copying out and pooling the planes had each thread wait out the other's last item three times
/// a layer, and every step read what the other core had just written: at batch 1 a 32×32 layer ran
/// only 1.45× faster on two threads than on one, and the VGG-ish net's forward took 460 µs (now 390).
/// </summary>
public static unsafe partial class Convolution
{
    private struct BandJob
    {
        public void* Conv; // the ConvJob<float> of the layer
        // the example padded once on all threads before the items run (3-D layers, whose bands are
        // not rows of one plane, and inputs past SharedPadElements), or null when each item pads its rows
        public float* Shared;
        // where the GEMM writes: the output, or the caller's scratch when a pooling follows
        public float* Output;
        // a band is a run of whole units of Unit output positions, out of the first Columns positions
        public int FilterRows, FilterBlocks, Bands, Unit, Columns;
        public bool PoolBands;
        // one band packing all wide columns into each worker's own buffer, the outputs copied out after
        // (where packing only the outputs' columns would save no strips: 14×14)
        public bool Wide;
        // B read in place, output row by output row (ShiftedInput.ReadsRowsInPlace): bands are whole
        // rows, and nothing is packed
        public bool InPlace;
    }

    // Padded elements above which the example is padded once on all threads before the bands run: a
    // padded input larger than L2 was padded again by every band's item in a worker's own buffer
    // (a band reads its rows plus the kernel's extent) for no gain on 56² and 112² layers.
    private const long SharedPadElements = 1 << 18;

    private static void ShiftedForwardSplit<T>(ref ConvJob<T> job, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        var bands = new BandJob();
        Plan(ref bands, ref job);
        job.Example = n;
        // scratch of every worker: [its padded rows][the whole output when a pooling follows, used in
        // the caller's alone][its filters' wide output, when wide]; the caller's is sized here, so a
        // warmed-up model allocates nothing however the items fell
        float* scratch = WorkerPool.Scratch<float>(0, BandScratch(ref job, ref bands));
        bands.Output = job.Pooled ? scratch + s.PaddedElements : (float*)job.Y + (nint)n * g.OutChannels * g.OutSpatial;
        if (s.Depth > 1 || s.PaddedElements > SharedPadElements)
        {
            bands.Shared = scratch;
            if (s.PaddedElements < ParallelPadThreshold)
            {
                s.Pad((float*)job.X + (nint)n * g.InChannels * g.InSpatial, scratch);
            }
            else
            {
                job.Columns = (T*)scratch;
                fixed (ConvJob<T>* context = &job) WorkerPool.For(g.InChannels, &PadChannel<T>, context);
                s.ClearTail(scratch);
            }
        }
        fixed (ConvJob<T>* conv = &job)
        {
            bands.Conv = conv;
            WorkerPool.For(bands.FilterBlocks * bands.Bands, &BandItem, &bands);
        }
        // windows that span two bands are pooled once every band is done
        if (job.Pooled && !bands.PoolBands) PoolSplit(ref job, (T*)bands.Output, n);
    }

    // Output positions are cut into bands of whole units: 32-column strips, or, when the bands pool
    // their own rows, whole pooled rows, as many as make whole strips where a few do (a band that
    // ended mid-strip would run a zero-padded edge strip); whole output rows where B is read in place. About as many bands as MatMul's column
    // blocks (at least four per thread, about eight strips each on wide layers); too few for two per
    // thread, and the filters are cut into blocks too, of at least 64 (each block packs the band's
    // columns and pads its rows again).
    private static void Plan<T>(ref BandJob bands, ref ConvJob<T> job) where T : unmanaged
    {
        ref readonly ConvGeometry g = ref job.Geometry;
        int fg = g.OutChannels / g.Groups, ow = g.OutWidth, threads = ComputeThreads.Count;
        ref readonly PoolGeometry pool = ref job.Pool;
        // rows of different pooled rows never share a window (a 3×3/2 pooling's would)
        bands.PoolBands = job.Pooled && g.OutDepth == 1 && pool.OutDepth == 1 && pool.KernelHeight <= pool.StrideHeight;
        bands.InPlace = job.Shifted.ReadsRowsInPlace;
        if (bands.PoolBands)
        {
            // the rows no window reads are not computed
            int pooledRow = pool.StrideHeight * ow;
            bands.Columns = pool.OutHeight * pooledRow;
            int rows = 1;
            if (bands.InPlace)
            {
                // whole output rows, an even number of them where one-vector tails pair up
                if (ow % 32 != 0 && pool.StrideHeight % 2 != 0) rows = 2;
            }
            else
            {
                while (rows < 8 && rows * pooledRow % 32 != 0) rows++;
                if (rows * pooledRow % 32 != 0) rows = Math.Max(1, 128 / pooledRow);
            }
            bands.Unit = rows * pooledRow;
        }
        else
        {
            bands.Columns = g.OutSpatial;
            // in place: whole rows, pairs of them where one-vector tails pair up
            bands.Unit = bands.InPlace ? (ow % 32 == 0 ? ow : 2 * ow) : 32;
        }
        int units = (bands.Columns + bands.Unit - 1) / bands.Unit;
        int strips = (bands.Columns + 31) / 32, wanted = 4 * threads;
        int filterBlocks;
        if (bands.Columns <= 256 && (long)fg * g.FilterSize >= 1 << 16)
        {
            // few columns and large filters (a 14×14 layer of 512): every band would stream all the
            // weights through the cache for one or two strips; a block of filters reads its weights once
            bands.Bands = 1;
            filterBlocks = threads;
            bands.Wide = !bands.InPlace && !job.Shifted.PackOutputsOnly(fg);
        }
        else
        {
            bands.Bands = Math.Min(units, Math.Clamp(strips / 8, wanted, 16 * threads));
            filterBlocks = bands.Bands >= 2 * threads ? 1 : Math.Min((2 * threads + bands.Bands - 1) / bands.Bands, Math.Max(1, fg / 64));
        }
        bands.FilterRows = Math.Min(fg, RoundUpTo6((fg + filterBlocks - 1) / filterBlocks));
        bands.FilterBlocks = (fg + bands.FilterRows - 1) / bands.FilterRows;
    }

    private static long BandScratch<T>(ref ConvJob<T> job, ref BandJob bands) where T : unmanaged =>
        job.Shifted.PaddedElements + (job.Pooled ? (long)job.Geometry.OutChannels * job.Geometry.OutSpatial : 0)
        + (bands.Wide ? (long)bands.FilterRows * job.Shifted.Columns : 0);

    private static int RoundUpTo6(int value) => (value + 5) / 6 * 6;

    // Item: filter block × band. Its input rows padded (unless shared), its filters in every group
    // over its band's columns, then its planes' pooled rows in the band.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BandItem(void* context, int item, int worker)
    {
        ref BandJob bands = ref *(BandJob*)context;
        ref ConvJob<float> job = ref *(ConvJob<float>*)bands.Conv;
        ref readonly ConvGeometry g = ref job.Geometry;
        ref readonly ShiftedInput s = ref job.Shifted;
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups, ck = g.FilterSize, p = g.OutSpatial, ow = g.OutWidth;
        int block = item / bands.Bands, band = item % bands.Bands;
        // band b: units [b·U/B, (b+1)·U/B)
        int units = (bands.Columns + bands.Unit - 1) / bands.Unit;
        int first = (int)((long)band * units / bands.Bands) * bands.Unit;
        int columns = Math.Min(bands.Columns, (int)((long)(band + 1) * units / bands.Bands) * bands.Unit) - first;
        int f0 = block * bands.FilterRows, m = Math.Min(bands.FilterRows, fg - f0);
        float* scratch = WorkerPool.Scratch<float>(worker, BandScratch(ref job, ref bands));
        float* padded = bands.Shared;
        if (padded == null)
        {
            padded = scratch;
            // the rows the band's taps reach: its own and the kernel's extent below them
            int firstRow = first / ow, endRow = (first + columns - 1) / ow + 1;
            s.PadRows(job.X + (nint)job.Example * g.InChannels * g.InSpatial, padded, 0, g.InChannels, firstRow, endRow + s.Height - g.OutHeight);
        }
        float* output = bands.Output, wide = scratch + s.PaddedElements + (job.Pooled ? (long)g.OutChannels * p : 0);
        for (int gi = 0; gi < g.Groups; gi++)
        {
            int f = gi * fg + f0;
            float* b = padded + (nint)gi * cg * s.ChannelStride, rowSeed = job.B == null ? null : job.B + f;
            bool relu = job.Epilogue == Epilogue.Relu;
            if (bands.InPlace)
            {
                int row = first / ow;
                MatMul.BroadcastInPlace(m, ow, columns / ow, ck, job.W + (nint)f * ck, ck, b + (nint)row * s.Width, s.Width, s.RowOffsets,
                    output + (nint)f * p + first, p, ow, seed: true, rowSeed, relu);
            }
            else if (bands.Wide)
            {
                MatMul.BroadcastShifted(m, s.Columns, ck, job.W + (nint)f * ck, ck, 1, b, s.RowOffsets, s.AllColumns, 0, wide, s.Columns, seed: true, rowSeed, relu);
                s.Extract(wide, m, output + (nint)f * p);
            }
            else
            {
                MatMul.BroadcastShifted(m, columns, ck, job.W + (nint)f * ck, ck, 1, b, s.RowOffsets, s.Map, first, output + (nint)f * p + first, p, seed: true, rowSeed, relu);
            }
        }
        if (!bands.PoolBands) return;
        int q = job.Pool.OutSpatial, pooledRow = job.Pool.StrideHeight * ow;
        nint planes = (nint)job.Example * g.OutChannels;
        for (int gi = 0; gi < g.Groups; gi++)
        for (int f = gi * fg + f0; f < gi * fg + f0 + m; f++)
            Pooling.MaxPlaneRows(output + (nint)f * p, job.Y + (planes + f) * q, job.Argmax + (planes + f) * q, job.Pool, first / pooledRow, (first + columns) / pooledRow);
    }
}
