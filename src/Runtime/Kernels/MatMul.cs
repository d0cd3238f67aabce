using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// The two accumulating matrix products the layers need, on raw pointers so worker threads can share
/// them: float runs the FMA microkernels of <see cref="SimdGemm"/> at the widest vector the machine
/// has, everything else (double, or a machine without AVX2+FMA) the portable <see cref="Gemm"/>.
/// The Parallel variants split C into blocks over the <see cref="WorkerPool"/>.
/// </summary>
internal static unsafe class MatMul
{
    // Below this many multiply-adds a product stays on one thread: waking a worker costs about a
    // microsecond, and LeNet-sized layers finish in a few.
    private const long ParallelThreshold = 1 << 17;

    // Columns of B up to which row blocks may each pack all of it: one packed panel's width.
    private const int WideB = 256;

    /// <summary>C (m×n, ldc) += A·B, A(i,k) = a[i·aRow + k·aCol], B k×n (ldb).</summary>
    public static void Broadcast<T>(int m, int n, int k, T* a, nint aRow, nint aCol, T* b, nint ldb, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0 || k == 0) return;
        if (typeof(T) == typeof(float))
        {
            switch (Simd.Current)
            {
                case SimdWidth.Vector512: SimdGemm.Broadcast<Simd512>(m, n, k, (float*)a, aRow, aCol, (float*)b, ldb, (float*)c, ldc); return;
                case SimdWidth.Vector256: SimdGemm.Broadcast<Simd256>(m, n, k, (float*)a, aRow, aCol, (float*)b, ldb, (float*)c, ldc); return;
            }
        }
        Gemm.Broadcast<T>(m, n, k, new ReadOnlySpan<T>(a, Extent(m, k, aRow, aCol)), (int)aRow, (int)aCol,
            new ReadOnlySpan<T>(b, Extent(k, n, ldb, 1)), (int)ldb, new Span<T>(c, Extent(m, n, ldc, 1)), (int)ldc);
    }

    /// <summary>Float only, FMA paths only (see <see cref="ConvolutionAlgorithms.Runnable{T}"/>): C (m×n, ldc) += A·B,
    /// where column j of B is output position first + j of a convolution: row kk of it is read from
    /// b + rowOffsets[kk] + map.Of(first + j), a shifted view of the padded input. With
    /// <paramref name="seed"/>, C is overwritten with A·B + rowSeed (per row; zero without it), and
    /// with <paramref name="relu"/> activated, strip by strip while in cache.</summary>
    public static void BroadcastShifted(int m, int n, int k, float* a, nint aRow, nint aCol, float* b, nint* rowOffsets, in WideColumns map, int first, float* c, nint ldc,
        bool seed = false, float* rowSeed = null, bool relu = false)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (seed) SeedBlock(rowSeed, c, m, n, ldc);
            if (relu) Apply(Epilogue.Relu, c, m, n, ldc);
            return;
        }
        if (Simd.Current == SimdWidth.Vector512) SimdGemm.Broadcast<Simd512>(m, n, k, a, aRow, aCol, b, rowOffsets, map, first, c, ldc, seed, rowSeed, relu);
        else SimdGemm.Broadcast<Simd256>(m, n, k, a, aRow, aCol, b, rowOffsets, map, first, c, ldc, seed, rowSeed, relu);
    }

    /// <summary>Float only, FMA paths only: <see cref="SimdGemm.BroadcastInPlace{V}"/>, C overwritten
    /// when seeded.</summary>
    public static void BroadcastInPlace(int m, int n, int rowCount, int k, float* a, nint aRow, float* b, nint bRowPitch, nint* rowOffsets,
        float* c, nint ldc, nint cRowPitch, bool seed, float* rowSeed, bool relu)
    {
        if (m == 0 || n == 0 || rowCount == 0) return;
        if (k == 0)
        {
            for (int r = 0; r < rowCount; r++)
            {
                if (seed) SeedBlock(rowSeed, c + r * cRowPitch, m, n, ldc);
                if (relu) Apply(Epilogue.Relu, c + r * cRowPitch, m, n, ldc);
            }
            return;
        }
        if (Simd.Current == SimdWidth.Vector512) SimdGemm.BroadcastInPlace<Simd512>(m, n, rowCount, k, a, aRow, b, bRowPitch, rowOffsets, c, ldc, cRowPitch, seed, rowSeed, relu);
        else SimdGemm.BroadcastInPlace<Simd256>(m, n, rowCount, k, a, aRow, b, bRowPitch, rowOffsets, c, ldc, cRowPitch, seed, rowSeed, relu);
    }

    /// <summary>Float only, FMA paths only: <see cref="SimdGemm.TapsTimesTransposed{V}"/>.</summary>
    public static void TapsTimesTransposed(int rows, int n, int k, int taps, nint* tapOffsets, nint rowStride,
        float** views, float** dSegments, nint ldd, int segments, float* c, nint ldc)
    {
        if (rows == 0 || n == 0 || k == 0 || taps == 0 || segments == 0) return;
        if (Simd.Current == SimdWidth.Vector512) SimdGemm.TapsTimesTransposed<Simd512>(rows, n, k, taps, tapOffsets, rowStride, views, dSegments, ldd, segments, c, ldc);
        else SimdGemm.TapsTimesTransposed<Simd256>(rows, n, k, taps, tapOffsets, rowStride, views, dSegments, ldd, segments, c, ldc);
    }

    /// <summary>Float only, FMA paths only: <see cref="SimdGemm.BroadcastIntoTaps{V}"/>.</summary>
    public static void BroadcastIntoTaps(int rows, int n, int k, int taps, float* a, nint aTap, nint aRow, nint aCol,
        float* b, nint ldb, float* c, nint* cOffsets, nint ldc)
    {
        if (rows == 0 || n == 0 || k == 0 || taps == 0) return;
        if (Simd.Current == SimdWidth.Vector512) SimdGemm.BroadcastIntoTaps<Simd512>(rows, n, k, taps, a, aTap, aRow, aCol, b, ldb, c, cOffsets, ldc);
        else SimdGemm.BroadcastIntoTaps<Simd256>(rows, n, k, taps, a, aTap, aRow, aCol, b, ldb, c, cOffsets, ldc);
    }

    /// <summary>Float only, FMA paths only: <see cref="SimdGemm.DotSegments{V}"/>.</summary>
    public static void DotShiftedSegments(int m, int n, int k, float** aSegments, float** bSegments, int segments, nint lda, nint* rowOffsets, float* c, nint ldc)
    {
        if (m == 0 || n == 0 || k == 0 || segments == 0) return;
        if (Simd.Current == SimdWidth.Vector512) SimdGemm.DotSegments<Simd512>(m, n, k, aSegments, bSegments, segments, lda, rowOffsets, c, ldc);
        else SimdGemm.DotSegments<Simd256>(m, n, k, aSegments, bSegments, segments, lda, rowOffsets, c, ldc);
    }

    /// <summary>C (m×n, ldc) += A·Bᵀ, A m×k (lda), B n×k (ldb).</summary>
    public static void Dot<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0 || k == 0) return;
        if (typeof(T) == typeof(float))
        {
            switch (Simd.Current)
            {
                case SimdWidth.Vector512: SimdGemm.Dot<Simd512>(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc); return;
                case SimdWidth.Vector256: SimdGemm.Dot<Simd256>(m, n, k, (float*)a, lda, (float*)b, ldb, (float*)c, ldc); return;
            }
        }
        Gemm.Dot<T>(m, n, k, new ReadOnlySpan<T>(a, Extent(m, k, lda, 1)), (int)lda,
            new ReadOnlySpan<T>(b, Extent(n, k, ldb, 1)), (int)ldb, new Span<T>(c, Extent(m, n, ldc, 1)), (int)ldc);
    }

    /// <summary>C += A·B split into blocks of C over the pool. With <paramref name="seed"/>, each block
    /// first sets its part of row i of C to rowSeed[i] (zero without rowSeed), so C is overwritten
    /// with A·B + rowSeed on all threads instead of being filled on one beforehand.</summary>
    public static void ParallelBroadcast<T>(int m, int n, int k, T* a, nint aRow, nint aCol, T* b, nint ldb, T* c, nint ldc,
        Epilogue epilogue = Epilogue.None, bool seed = false, T* rowSeed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new Job<T> { A = a, ARow = aRow, ACol = aCol, B = b, Ldb = ldb, C = c, Ldc = ldc, M = m, N = n, K = k, Epilogue = epilogue, Seed = seed, RowSeed = rowSeed };
        Run(ref job, &BroadcastBlock<T>);
    }

    public static void ParallelDot<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc,
        Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new Job<T> { A = a, ARow = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, M = m, N = n, K = k, Epilogue = epilogue };
        Run(ref job, &DotBlock<T>);
    }

    private struct Job<T> where T : unmanaged
    {
        public T* A, B, C, RowSeed;
        public bool Seed;
        public nint ARow, ACol, Ldb, Ldc;
        public int M, N, K, RowBlock, ColumnStrips, ColumnBlocks;
        public Epilogue Epilogue;
    }

    private static void Run<T>(ref Job<T> job, delegate*<void*, int, int, void> body)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (job.M == 0 || job.N == 0) return;
        int threads = ComputeThreads.Count;
        long work = (long)job.M * job.N * job.K;
        // about four blocks per thread so a descheduled thread's share can be picked up by the other
        int wanted = threads == 1 || work < ParallelThreshold ? 1 : 4 * threads;
        // Rows in whole 6-row tiles where there are enough of them and B is narrow: blocks of columns
        // write every row of C, and where a row's cache line straddles two blocks both threads write
        // it (a dense layer's 84×120 weight gradient ran 3× slower on two threads than on one).
        // Otherwise the wide dimension: columns in whole vector pairs (each block packs only its part of B).
        bool rows = job.M >= 6 * wanted && job.N <= WideB;
        if (!rows && (job.N >= 64 * wanted || job.N >= job.M))
        {
            job.RowBlock = job.M;
            // Blocks of whole 32-column strips whose sizes differ by at most one strip (rounding one
            // size up had left 7 blocks of 5 strips for 8 wanted at 1,088 columns: 4 against 3 on two
            // threads). At least as many as wanted, and for a wide C (a batch-1 224² layer has 392
            // strips) about 8 strips each, up to 16 blocks per thread: the other thread waits out the
            // last block, and blocks pack only their own columns, so more blocks cost nothing.
            job.ColumnStrips = (job.N + 31) / 32;
            job.ColumnBlocks = Math.Min(job.ColumnStrips, Math.Clamp(job.ColumnStrips / 8, wanted, 16 * threads));
        }
        else
        {
            // with rows, each block packs all of B: fewer, taller blocks
            int blocks = rows ? threads : wanted;
            job.ColumnStrips = (job.N + 31) / 32;
            job.ColumnBlocks = 1;
            job.RowBlock = Math.Min(job.M, RoundUp((job.M + blocks - 1) / blocks, 6));
        }
        int rowBlocks = (job.M + job.RowBlock - 1) / job.RowBlock;
        fixed (Job<T>* context = &job)
            WorkerPool.For(rowBlocks * job.ColumnBlocks, body, context);
    }

    private static void BroadcastBlock<T>(void* context, int item, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)context;
        Block(ref job, item, out int i0, out int m, out int j0, out int n);
        T* c = job.C + i0 * job.Ldc + j0;
        if (job.Seed) SeedBlock(job.RowSeed == null ? null : job.RowSeed + i0, c, m, n, job.Ldc);
        Broadcast(m, n, job.K, job.A + i0 * job.ARow, job.ARow, job.ACol, job.B + j0, job.Ldb, c, job.Ldc);
        Apply(job.Epilogue, c, m, n, job.Ldc);
    }

    private static void DotBlock<T>(void* context, int item, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)context;
        Block(ref job, item, out int i0, out int m, out int j0, out int n);
        T* c = job.C + i0 * job.Ldc + j0;
        Dot(m, n, job.K, job.A + i0 * job.ARow, job.ARow, job.B + j0 * job.Ldb, job.Ldb, c, job.Ldc);
        Apply(job.Epilogue, c, m, n, job.Ldc);
    }

    private static void SeedBlock<T>(T* rowSeed, T* c, int m, int n, nint ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++) new Span<T>(c + i * ldc, n).Fill(rowSeed == null ? T.Zero : rowSeed[i]);
    }

    private static void Block<T>(ref Job<T> job, int item, out int i0, out int m, out int j0, out int n) where T : unmanaged
    {
        i0 = item / job.ColumnBlocks * job.RowBlock;
        m = Math.Min(job.RowBlock, job.M - i0);
        // column block b: strips [b·S/B, (b+1)·S/B)
        int b = item % job.ColumnBlocks;
        j0 = (int)((long)b * job.ColumnStrips / job.ColumnBlocks) * 32;
        n = Math.Min(job.N, (int)((long)(b + 1) * job.ColumnStrips / job.ColumnBlocks) * 32) - j0;
    }

    /// <summary>Applies an epilogue to an m×n block (row stride ld) in place.</summary>
    public static void Apply<T>(Epilogue epilogue, T* c, int m, int n, nint ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (epilogue == Epilogue.None) return;
        for (int i = 0; i < m; i++) Epilogues.Relu(new Span<T>(c + i * ld, n));
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static int Extent(int rows, int columns, nint rowStride, nint columnStride) =>
        (int)((rows - 1) * rowStride + (columns - 1) * columnStride + 1);
}
