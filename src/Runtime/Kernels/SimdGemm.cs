using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Float GEMM microkernels with fused multiply-add, written once over <see cref="ISimdVector{TSelf}"/>
/// and instantiated for Vector512 and Vector256. Both shapes accumulate into C. Edges that do not
/// fill a tile fall to narrower tiles and finally scalar FMA, so any m, n, k is exact.
/// </summary>
internal static unsafe partial class SimdGemm
{
    // A KC-deep strip of B two vectors wide (256 × 128 B = 32 KB at 512 bits) stays in L1 while all
    // row tiles of A stream past it.
    private const int KC = 256;

    // Columns of B packed per pass: a KC×NC panel (256 KB) stays in L2 while A's row tiles stream.
    private const int NC = 256;

    [ThreadStatic] private static float[]? t_panel;

    // The depth of each k block: at most KC, and the blocks equal (K = 288 as 256 + 32 ran a whole
    // pass of tile loads and stores of C for 32 steps).
    private static int Depth(int k)
    {
        if (k <= KC) return Math.Max(1, k);
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>C (m×n, row stride ldc) += A·B with A(i,k) = a[i·aRow + k·aCol] and B k×n (row stride
    /// ldb). Each step broadcasts one A element per row against vectors of a B row. Two-vector strips
    /// of B are first copied into a contiguous, aligned panel: read in place, a strip's rows lie a
    /// row stride apart (hundreds of streams for the prefetcher, loads split across cache lines when
    /// the stride is not a multiple of 16 floats); packed, the microkernel reads it sequentially. A
    /// last partial strip is zero-padded and computed on a copy of its C columns. Fewer than four
    /// rows of A do not repay the copy and run on B in place.</summary>
    public static void Broadcast<V>(int m, int n, int k, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
        => Broadcast<V>(m, n, k, a, aRow, aCol, b, ldb, null, default, 0, c, ldc, false, null, false);

    /// <summary>As above with row kk of B read through shifted views: column j of B and C is output
    /// position first + j, at b + rowOffsets[kk] + map.Of(first + j). A convolution reads its column
    /// matrix this way without building it; C holds only the outputs (row stride ldc), and no
    /// multiply-add is spent on the wide columns between rows that no output keeps. With
    /// <paramref name="seed"/>, C is overwritten: each strip of row i starts at rowSeed[i] (zero
    /// without rowSeed); with <paramref name="relu"/>, each strip is activated after its last k
    /// block. Both happen while the strip is in cache, not as passes over a C larger than L2.</summary>
    public static void Broadcast<V>(int m, int n, int k, float* a, nint aRow, nint aCol, float* b, nint* rowOffsets, in WideColumns map, int first, float* c, nint ldc,
        bool seed, float* rowSeed, bool relu)
        where V : unmanaged, ISimdVector<V>
        => Broadcast<V>(m, n, k, a, aRow, aCol, b, 0, rowOffsets, map, first, c, ldc, seed, rowSeed, relu);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Broadcast<V>(int m, int n, int k, float* a, nint aRow, nint aCol, float* b, nint ldb, nint* rowOffsets, WideColumns map, int first, float* c, nint ldc,
        bool seed, float* rowSeed, bool relu)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count;
        if (rowOffsets == null && (m < 4 || n < strip))
        {
            // too few rows to repay a copy of B
            Unpacked<V>(m, n, k, a, aRow, aCol, b, ldb, c, ldc);
            return;
        }
        float* panel = Panel();
        float* edge = stackalloc float[6 * 2 * 16];
        int depth = Depth(k);
        for (int k0 = 0; k0 < k; k0 += depth)
        {
            int kc = Math.Min(depth, k - k0);
            float* ak = a + k0 * aCol;
            for (int j0 = 0; j0 < n; j0 += NC)
            {
                int nc = Math.Min(NC, n - j0);
                if (rowOffsets == null) Pack<V>(kc, nc, b + j0 + k0 * ldb, ldb, null, panel);
                // columns in one run (a wide buffer's map): the plain copy, without the run bookkeeping
                else if (map.Rows == 1 && first + n <= map.RowLength) Pack<V>(kc, nc, b + first + j0, 0, rowOffsets + k0, panel);
                else PackMapped<V>(kc, nc, b, k0, rowOffsets, map, first + j0, panel);
                for (int s = 0; s < nc; s += strip)
                {
                    float* bs = panel + (nint)s * kc;
                    int width = Math.Min(strip, nc - s);
                    if (seed && k0 == 0) SeedStrip<V>(m, width, rowSeed, c + j0 + s, ldc);
                    if (width == strip) RowTiles<V>(m, kc, ak, aRow, aCol, bs, c + j0 + s, ldc);
                    else EdgeStrip<V>(m, kc, width, ak, aRow, aCol, bs, c + j0 + s, ldc, edge);
                    if (relu && k0 + kc == k) ReluStrip<V>(m, width, c + j0 + s, ldc);
                }
            }
        }
    }

    // Rows [0, m) of a strip of C (width columns) set to rowSeed[i], or zero without rowSeed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SeedStrip<V>(int m, int width, float* rowSeed, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        for (int i = 0; i < m; i++, c += ldc)
        {
            V value = rowSeed == null ? V.Zero : V.Splat(rowSeed[i]);
            if (width == 2 * w)
            {
                value.Store(c);
                value.Store(c + w);
            }
            else if (width > w)
            {
                value.Store(c);
                value.StoreFirst(c + w, width - w);
            }
            else
            {
                value.StoreFirst(c, width);
            }
        }
    }

    // relu over rows [0, m) of a strip of C (width columns), NaN kept as the relu layer keeps it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReluStrip<V>(int m, int width, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        for (int i = 0; i < m; i++, c += ldc)
        {
            // whole vectors branch-free: on a scalar loop, relu's sign test was mispredicted half the
            // time, and a one-vector row tail of a 112² layer spent as long on it as on its products
            int j = 0;
            for (; j + w <= width; j += w) V.Relu(V.Load(c + j)).Store(c + j);
            for (; j < width; j++) c[j] = c[j] > 0 || float.IsNaN(c[j]) ? c[j] : 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTiles<V>(int m, int kc, float* a, nint aRow, nint aCol, float* b, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count, i = 0;
        // 6-row tiles, but a remainder of 2 takes one 6-row tile back to make two 4-row tiles (32 =
        // 4·6 + 2·4): a 2-row tile keeps only 4 accumulators busy
        int sixes = m / 6 * 6;
        if (m % 6 == 2 && sixes >= 6) sixes -= 6;
        for (; i < sixes; i += 6)
        {
            // the next tile's rows of C are a row stride apart, past what the prefetcher follows:
            // fetched now, they arrive while this tile runs instead of stalling its first loads
            if (i + 6 < m) PrefetchRows(c + (i + 6) * ldc, ldc, Math.Min(6, m - i - 6), strip);
            Tile6x2<V>(kc, a + i * aRow, aRow, aCol, b, strip, c + i * ldc, ldc);
        }
        for (; i + 4 <= m; i += 4) Tile4x2<V>(kc, a + i * aRow, aRow, aCol, b, strip, c + i * ldc, ldc);
        for (; i + 2 <= m; i += 2) Tile2x2<V>(kc, a + i * aRow, aRow, aCol, b, strip, c + i * ldc, ldc);
        if (i < m) Tile1x2<V>(kc, a + i * aRow, aCol, b, strip, c + i * ldc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* c, nint ldc, int rows, int width)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Sse.Prefetch0(c);
            Sse.Prefetch0(c + width - 1);
        }
    }

    // A strip that fits one vector (the 4 columns past 6 whole strips of a 14×14 output) on one-vector
    // tiles: the two-vector ones would spend half their multiply-adds on its zero padding.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTilesOneVector<V>(int m, int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int i = 0;
        for (; i + 4 <= m; i += 4) Tile4x1<V>(kc, a + i * aRow, aRow, aCol, b, ldb, c + i * ldc, ldc);
        for (; i < m; i++) Tile1x1<V>(kc, a + i * aRow, aCol, b, ldb, c + i * ldc);
    }

    // The last, partial strip: its packed columns are zero-padded to full width, so the full tile runs
    // on a copy of the valid C columns and only those are written back.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeStrip<V>(int m, int kc, int width, float* a, nint aRow, nint aCol, float* b, float* c, nint ldc, float* edge)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count;
        for (int i0 = 0; i0 < m; i0 += 6)
        {
            int rows = Math.Min(6, m - i0);
            ToEdge(c + i0 * ldc, ldc, rows, width, strip, edge);
            if (width <= V.Count) RowTilesOneVector<V>(rows, kc, a + i0 * aRow, aRow, aCol, b, strip, edge, strip);
            else RowTiles<V>(rows, kc, a + i0 * aRow, aRow, aCol, b, edge, strip);
            FromEdge(edge, rows, width, strip, c + i0 * ldc, ldc);
        }
    }

    // Rows [0, rows) of a partial strip of C (width columns) → edge (rows of `strip`, zero past width).
    private static void ToEdge(float* c, nint ldc, int rows, int width, int strip, float* edge)
    {
        for (int r = 0; r < rows; r++)
        {
            new Span<float>(c + r * ldc, width).CopyTo(new Span<float>(edge + r * strip, width));
            new Span<float>(edge + r * strip + width, strip - width).Clear();
        }
    }

    // The valid columns of edge back into C.
    private static void FromEdge(float* edge, int rows, int width, int strip, float* c, nint ldc)
    {
        for (int r = 0; r < rows; r++)
            new Span<float>(edge + r * strip, width).CopyTo(new Span<float>(c + r * ldc, width));
    }

    // B (kc×nc; row kk at b + kk·ldb, or at b + rowOffsets[kk]) → strip-major panel: strip s holds
    // rows 0..kc of its 2·Count columns back to back; a last partial strip is padded with zeros.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pack<V>(int kc, int nc, float* b, nint ldb, nint* rowOffsets, float* panel)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count, strip = 2 * w, whole = nc / strip * strip;
        for (int kk = 0; kk < kc; kk++)
        {
            float* row = b + (rowOffsets == null ? kk * ldb : rowOffsets[kk]);
            float* dst = panel + kk * strip;
            int s = 0;
            for (; s < whole; s += strip, dst += (nint)strip * kc)
            {
                V.Load(row + s).Store(dst);
                V.Load(row + s + w).Store(dst + w);
            }
            if (s < nc)
            {
                int rest = nc - s;
                new Span<float>(row + s, rest).CopyTo(new Span<float>(dst, rest));
                new Span<float>(dst + rest, strip - rest).Clear();
            }
        }
    }

    // As Pack, for shifted views read through a column map: panel column j is output position
    // first + j. Each strip's columns are runs of consecutive wide columns (a run ends with an output
    // row); a strip that is one run is copied straight, the others run by run in whole vectors. The
    // views have a vector of slack past their columns for those loads.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackMapped<V>(int kc, int nc, float* b, int k0, nint* rowOffsets, in WideColumns map, int first, float* panel)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count, strip = 2 * w, strips = (nc + strip - 1) / strip;
        // runs of strip t: [runStart[t], runStart[t + 1]) of (panel column in the strip, wide column, length)
        int* runStart = stackalloc int[NC / 16 + 2];
        int* runs = stackalloc int[3 * (NC + NC / 16 + 1)];
        int count = 0;
        for (int t = 0; t < strips; t++)
        {
            runStart[t] = count;
            int width = Math.Min(strip, nc - t * strip);
            for (int j = 0; j < width;)
            {
                int p = first + t * strip + j;
                int length = Math.Min(map.RowLength - p % map.RowLength, width - j);
                runs[3 * count] = j;
                runs[3 * count + 1] = map.Of(p);
                runs[3 * count + 2] = length;
                count++;
                j += length;
            }
        }
        runStart[strips] = count;
        // a last, partial strip is zero-padded, as Pack does
        bool partial = nc % strip != 0;
        for (int kk = 0; kk < kc; kk++)
        {
            float* row = b + rowOffsets[k0 + kk];
            float* dst = panel + kk * strip;
            for (int t = 0; t < strips; t++, dst += (nint)strip * kc)
            {
                int r0 = runStart[t], r1 = runStart[t + 1];
                if (r1 - r0 == 1 && runs[3 * r0 + 2] == strip)
                {
                    float* src = row + runs[3 * r0 + 1];
                    V.Load(src).Store(dst);
                    V.Load(src + w).Store(dst + w);
                    continue;
                }
                if (partial && t == strips - 1)
                {
                    V.Zero.Store(dst);
                    V.Zero.Store(dst + w);
                }
                for (int r = r0; r < r1; r++)
                {
                    float* src = row + runs[3 * r + 1], to = dst + runs[3 * r];
                    int length = runs[3 * r + 2], q = 0;
                    for (; q + w <= length; q += w) V.Load(src + q).Store(to + q);
                    if (q == length) continue;
                    // a whole vector spills into the next run's place, or past the strip's row into its
                    // next row, both written after this; only the last row's would land on a finished
                    // strip (or past the panel), so it is stored masked (slower: only there)
                    if (kk < kc - 1) V.Load(src + q).Store(to + q);
                    else V.Load(src + q).StoreFirst(to + q, length - q);
                }
            }
        }
    }

    /// <summary>Allocates the calling thread's panel if it has none. <see cref="WorkerPool"/> calls
    /// this for every thread before it runs items: which items a thread takes changes from step to
    /// step, so a panel first allocated when a thread first draws a GEMM item could be allocated in
    /// any step, not only the first.</summary>
    public static void ReservePanel()
        => t_panel ??= GC.AllocateUninitializedArray<float>(KC * NC + 16, pinned: true);

    private static float* Panel()
    {
        // one per thread, pinned, aligned to a cache line by hand; allocated once per thread
        ReservePanel();
        float* start = (float*)Unsafe.AsPointer(ref t_panel![0]);
        return (float*)(((nint)start + 63) & ~(nint)63);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unpacked<V>(int m, int n, int k, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        int depth = Depth(k);
        for (int k0 = 0; k0 < k; k0 += depth)
        {
            int kc = Math.Min(depth, k - k0);
            float* ak = a + k0 * aCol, bk = b + k0 * ldb;
            int j = 0;
            for (; j + 2 * w <= n; j += 2 * w)
            {
                int i = 0;
                for (; i + 6 <= m; i += 6) Tile6x2<V>(kc, ak + i * aRow, aRow, aCol, bk + j, ldb, c + i * ldc + j, ldc);
                for (; i + 2 <= m; i += 2) Tile2x2<V>(kc, ak + i * aRow, aRow, aCol, bk + j, ldb, c + i * ldc + j, ldc);
                if (i < m) Tile1x2<V>(kc, ak + i * aRow, aCol, bk + j, ldb, c + i * ldc + j);
            }
            for (; j + w <= n; j += w)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4) Tile4x1<V>(kc, ak + i * aRow, aRow, aCol, bk + j, ldb, c + i * ldc + j, ldc);
                for (; i < m; i++) Tile1x1<V>(kc, ak + i * aRow, aCol, bk + j, ldb, c + i * ldc + j);
            }
            if (j < n) ScalarBroadcast(m, n - j, kc, ak, aRow, aCol, bk + j, ldb, c + j, ldc);
        }
    }

    /// <summary>For each tap t: C_t (rows×n, row stride ldc, at c + t·rows·ldc) += Σ over segments s of
    /// A_st·D_sᵀ, where A_st(i, kk) = views[s][tapOffsets[t] + i·rowStride + kk] and D_s is n×k (row
    /// stride ldd) at dSegments[s]. A convolution's weight gradient this way is the broadcast GEMM
    /// (rows: input channels, with the tap fixed; columns: filters; depth: the output positions of
    /// every example) instead of dot products along the positions with a horizontal sum per
    /// element, and one transposed panel of dY serves all taps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TapsTimesTransposed<V>(int rows, int n, int k, int taps, nint* tapOffsets, nint rowStride,
        float** views, float** dSegments, nint ldd, int segments, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count;
        float* panel = Panel();
        float* edge = stackalloc float[6 * 2 * 16];
        int depth = Depth(k);
        for (int segment = 0; segment < segments; segment++)
        for (int k0 = 0; k0 < k; k0 += depth)
        {
            int kc = Math.Min(depth, k - k0);
            for (int j0 = 0; j0 < n; j0 += NC)
            {
                int nc = Math.Min(NC, n - j0);
                PackTransposed<V>(kc, nc, dSegments[segment] + j0 * ldd + k0, ldd, panel);
                for (int s = 0; s < nc; s += strip)
                {
                    float* bs = panel + (nint)s * kc;
                    int width = Math.Min(strip, nc - s);
                    for (int t = 0; t < taps; t++)
                    {
                        float* a = views[segment] + tapOffsets[t] + k0, ct = c + (nint)t * rows * ldc + j0 + s;
                        if (width == strip) RowTiles<V>(rows, kc, a, rowStride, 1, bs, ct, ldc);
                        else EdgeStrip<V>(rows, kc, width, a, rowStride, 1, bs, ct, ldc, edge);
                    }
                }
            }
        }
    }

    /// <summary>For each tap t: C_t (rows×n, row stride ldc, at c + cOffsets[t]) += A_t·B, where A_t(i, kk)
    /// = a[t·aTap + i·aRow + kk·aCol] and B is k×n (row stride ldb). A convolution's input gradient this
    /// way adds each tap's share (rows: input channels) straight into the padded gradient through the
    /// tap's view, instead of writing a column gradient the size of an im2col matrix and adding it
    /// back; one packed panel of dY serves all taps. The taps run one after another, so views that
    /// overlap add up; the rows of one tap are channels, a channel stride apart, and never overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BroadcastIntoTaps<V>(int rows, int n, int k, int taps, float* a, nint aTap, nint aRow, nint aCol,
        float* b, nint ldb, float* c, nint* cOffsets, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count;
        float* panel = Panel();
        float* edge = stackalloc float[6 * 2 * 16];
        int depth = Depth(k);
        for (int k0 = 0; k0 < k; k0 += depth)
        {
            int kc = Math.Min(depth, k - k0);
            for (int j0 = 0; j0 < n; j0 += NC)
            {
                int nc = Math.Min(NC, n - j0);
                Pack<V>(kc, nc, b + j0 + k0 * ldb, ldb, null, panel);
                for (int s = 0; s < nc; s += strip)
                {
                    float* bs = panel + (nint)s * kc;
                    int width = Math.Min(strip, nc - s);
                    for (int t = 0; t < taps; t++)
                    {
                        float* at = a + t * aTap + k0 * aCol, ct = c + cOffsets[t] + j0 + s;
                        if (width == strip) RowTiles<V>(rows, kc, at, aRow, aCol, bs, ct, ldc);
                        else EdgeStrip<V>(rows, kc, width, at, aRow, aCol, bs, ct, ldc, edge);
                    }
                }
            }
        }
    }

    // D (nc rows of kc, row stride ldd) → the strip-major panel of Dᵀ (kc×nc), as Pack lays out B: a
    // row of D is read along k and written down its panel column; a last partial strip is zero-padded.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed<V>(int kc, int nc, float* d, nint ldd, float* panel)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count, strips = (nc + strip - 1) / strip;
        for (int t = 0; t < strips; t++)
        {
            float* dst = panel + (nint)t * strip * kc;
            int width = Math.Min(strip, nc - t * strip);
            for (int jj = 0; jj < width; jj++)
            {
                float* row = d + (nint)(t * strip + jj) * ldd;
                for (int kk = 0; kk < kc; kk++) dst[(nint)kk * strip + jj] = row[kk];
            }
            for (int jj = width; jj < strip; jj++)
                for (int kk = 0; kk < kc; kk++) dst[(nint)kk * strip + jj] = 0;
        }
    }

    /// <summary>C (m×n, row stride ldc) += A·Bᵀ with A m×k (row stride lda) and B n×k (row stride
    /// ldb): every element is a dot product of two contiguous rows, vectorized along k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot<V>(int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            float* b0 = b + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
            int i = 0;
            for (; i + 2 <= m; i += 2) Dot2x4<V>(k, a + i * lda, lda, b0, b1, b2, b3, c + i * ldc + j, ldc);
            for (; i < m; i++)
            {
                float* ai = a + i * lda, ci = c + i * ldc + j;
                ci[0] += DotRow<V>(k, ai, b0);
                ci[1] += DotRow<V>(k, ai, b1);
                ci[2] += DotRow<V>(k, ai, b2);
                ci[3] += DotRow<V>(k, ai, b3);
            }
        }
        for (; j < n; j++)
            for (int i = 0; i < m; i++)
                c[i * ldc + j] += DotRow<V>(k, a + i * lda, b + j * ldb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile6x2<V>(int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        V x00 = V.Load(c), x01 = V.Load(c + w), x10 = V.Load(c1), x11 = V.Load(c1 + w);
        V x20 = V.Load(c2), x21 = V.Load(c2 + w), x30 = V.Load(c3), x31 = V.Load(c3 + w);
        V x40 = V.Load(c4), x41 = V.Load(c4 + w), x50 = V.Load(c5), x51 = V.Load(c5 + w);
        float* a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb)
        {
            V b0 = V.Load(b), b1 = V.Load(b + w);
            V s = V.Splat(a[ka]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(a1[ka]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
            s = V.Splat(a2[ka]); x20 = V.MultiplyAdd(s, b0, x20); x21 = V.MultiplyAdd(s, b1, x21);
            s = V.Splat(a3[ka]); x30 = V.MultiplyAdd(s, b0, x30); x31 = V.MultiplyAdd(s, b1, x31);
            s = V.Splat(a4[ka]); x40 = V.MultiplyAdd(s, b0, x40); x41 = V.MultiplyAdd(s, b1, x41);
            s = V.Splat(a5[ka]); x50 = V.MultiplyAdd(s, b0, x50); x51 = V.MultiplyAdd(s, b1, x51);
        }
        x00.Store(c); x01.Store(c + w); x10.Store(c1); x11.Store(c1 + w);
        x20.Store(c2); x21.Store(c2 + w); x30.Store(c3); x31.Store(c3 + w);
        x40.Store(c4); x41.Store(c4 + w); x50.Store(c5); x51.Store(c5 + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x2<V>(int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        V x00 = V.Load(c), x01 = V.Load(c + w), x10 = V.Load(c1), x11 = V.Load(c1 + w);
        V x20 = V.Load(c2), x21 = V.Load(c2 + w), x30 = V.Load(c3), x31 = V.Load(c3 + w);
        float* a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb)
        {
            V b0 = V.Load(b), b1 = V.Load(b + w);
            V s = V.Splat(a[ka]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(a1[ka]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
            s = V.Splat(a2[ka]); x20 = V.MultiplyAdd(s, b0, x20); x21 = V.MultiplyAdd(s, b1, x21);
            s = V.Splat(a3[ka]); x30 = V.MultiplyAdd(s, b0, x30); x31 = V.MultiplyAdd(s, b1, x31);
        }
        x00.Store(c); x01.Store(c + w); x10.Store(c1); x11.Store(c1 + w);
        x20.Store(c2); x21.Store(c2 + w); x30.Store(c3); x31.Store(c3 + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile2x2<V>(int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        float* c1 = c + ldc, a1 = a + aRow;
        V x00 = V.Load(c), x01 = V.Load(c + w), x10 = V.Load(c1), x11 = V.Load(c1 + w);
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb)
        {
            V b0 = V.Load(b), b1 = V.Load(b + w);
            V s = V.Splat(a[ka]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(a1[ka]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
        }
        x00.Store(c); x01.Store(c + w); x10.Store(c1); x11.Store(c1 + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x2<V>(int kc, float* a, nint aCol, float* b, nint ldb, float* c)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        V x0 = V.Load(c), x1 = V.Load(c + w);
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb)
        {
            V s = V.Splat(a[ka]);
            x0 = V.MultiplyAdd(s, V.Load(b), x0);
            x1 = V.MultiplyAdd(s, V.Load(b + w), x1);
        }
        x0.Store(c); x1.Store(c + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x1<V>(int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        float* a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        V x0 = V.Load(c), x1 = V.Load(c1), x2 = V.Load(c2), x3 = V.Load(c3);
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb)
        {
            V b0 = V.Load(b);
            x0 = V.MultiplyAdd(V.Splat(a[ka]), b0, x0);
            x1 = V.MultiplyAdd(V.Splat(a1[ka]), b0, x1);
            x2 = V.MultiplyAdd(V.Splat(a2[ka]), b0, x2);
            x3 = V.MultiplyAdd(V.Splat(a3[ka]), b0, x3);
        }
        x0.Store(c); x1.Store(c1); x2.Store(c2); x3.Store(c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile1x1<V>(int kc, float* a, nint aCol, float* b, nint ldb, float* c)
        where V : unmanaged, ISimdVector<V>
    {
        V x0 = V.Load(c);
        nint ka = 0;
        for (int kk = 0; kk < kc; kk++, ka += aCol, b += ldb) x0 = V.MultiplyAdd(V.Splat(a[ka]), V.Load(b), x0);
        x0.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScalarBroadcast(int m, int n, int kc, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            float s = c[i * ldc + j];
            for (int kk = 0; kk < kc; kk++) s = MathF.FusedMultiplyAdd(a[i * aRow + kk * aCol], b[kk * ldb + j], s);
            c[i * ldc + j] = s;
        }
    }

    /// <summary>C (m×n, ldc) += Σ over segments s of A_s·B_sᵀ: A_s is m×k at aSegments[s] (row stride
    /// lda), row j of B_s is at bSegments[s] + rowOffsets[j]. The weight gradient of a convolution
    /// sums over examples; running one accumulator through several examples' segments pays the
    /// horizontal sums once per tile instead of once per example, which dominated on small images.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotSegments<V>(int m, int n, int k, float** aSegments, float** bSegments, int segments, nint lda, nint* rowOffsets, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int j = 0;
        // 4×4 blocks for whole vectors only (their scalar tails would have needed sixteen more registers),
        // and at 512 bits: their 21 vectors would spill from AVX2's 16 registers
        bool whole = V.Count == 16 && k % V.Count == 0;
        for (; j + 4 <= n; j += 4)
        {
            int i = 0;
            if (whole)
                for (; i + 4 <= m; i += 4) SegmentsDot4x4<V>(k, aSegments, bSegments, segments, i * lda, lda, rowOffsets + j, c + i * ldc + j, ldc);
            for (; i + 2 <= m; i += 2) SegmentsDot2x4<V>(k, aSegments, bSegments, segments, i * lda, lda, rowOffsets + j, c + i * ldc + j, ldc);
            for (; i < m; i++)
                for (int q = 0; q < 4; q++) c[i * ldc + j + q] += SegmentsDotRow<V>(k, aSegments, bSegments, segments, i * lda, rowOffsets[j + q]);
        }
        for (; j < n; j++)
            for (int i = 0; i < m; i++) c[i * ldc + j] += SegmentsDotRow<V>(k, aSegments, bSegments, segments, i * lda, rowOffsets[j]);
    }

    // Four rows of A × four rows of B, k a whole number of vectors: 8 loads per 16 multiply-adds
    // against 2×4's 6 per 8. The B rows are shifted views, unaligned, so a load often splits a cache
    // line; the weight gradients of LeNet-5's conv2 and FashionNet's conv1 were bound by them.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SegmentsDot4x4<V>(int k, float** aSegments, float** bSegments, int segments, nint aOffset, nint lda, nint* offsets, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        V c00 = V.Zero, c01 = V.Zero, c02 = V.Zero, c03 = V.Zero, c10 = V.Zero, c11 = V.Zero, c12 = V.Zero, c13 = V.Zero;
        V c20 = V.Zero, c21 = V.Zero, c22 = V.Zero, c23 = V.Zero, c30 = V.Zero, c31 = V.Zero, c32 = V.Zero, c33 = V.Zero;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int segment = 0; segment < segments; segment++)
        {
            float* a0 = aSegments[segment] + aOffset, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, bs = bSegments[segment];
            float* b0 = bs + o0, b1 = bs + o1, b2 = bs + o2, b3 = bs + o3;
            for (int kk = 0; kk < k; kk += w)
            {
                V x0 = V.Load(a0 + kk), x1 = V.Load(a1 + kk), x2 = V.Load(a2 + kk), x3 = V.Load(a3 + kk);
                V v = V.Load(b0 + kk);
                c00 = V.MultiplyAdd(x0, v, c00); c10 = V.MultiplyAdd(x1, v, c10); c20 = V.MultiplyAdd(x2, v, c20); c30 = V.MultiplyAdd(x3, v, c30);
                v = V.Load(b1 + kk);
                c01 = V.MultiplyAdd(x0, v, c01); c11 = V.MultiplyAdd(x1, v, c11); c21 = V.MultiplyAdd(x2, v, c21); c31 = V.MultiplyAdd(x3, v, c31);
                v = V.Load(b2 + kk);
                c02 = V.MultiplyAdd(x0, v, c02); c12 = V.MultiplyAdd(x1, v, c12); c22 = V.MultiplyAdd(x2, v, c22); c32 = V.MultiplyAdd(x3, v, c32);
                v = V.Load(b3 + kk);
                c03 = V.MultiplyAdd(x0, v, c03); c13 = V.MultiplyAdd(x1, v, c13); c23 = V.MultiplyAdd(x2, v, c23); c33 = V.MultiplyAdd(x3, v, c33);
            }
        }
        c[0] += V.Sum(c00); c[1] += V.Sum(c01); c[2] += V.Sum(c02); c[3] += V.Sum(c03);
        c += ldc;
        c[0] += V.Sum(c10); c[1] += V.Sum(c11); c[2] += V.Sum(c12); c[3] += V.Sum(c13);
        c += ldc;
        c[0] += V.Sum(c20); c[1] += V.Sum(c21); c[2] += V.Sum(c22); c[3] += V.Sum(c23);
        c += ldc;
        c[0] += V.Sum(c30); c[1] += V.Sum(c31); c[2] += V.Sum(c32); c[3] += V.Sum(c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SegmentsDot2x4<V>(int k, float** aSegments, float** bSegments, int segments, nint aOffset, nint lda, nint* offsets, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        V p0 = V.Zero, p1 = V.Zero, p2 = V.Zero, p3 = V.Zero, q0 = V.Zero, q1 = V.Zero, q2 = V.Zero, q3 = V.Zero;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        for (int segment = 0; segment < segments; segment++)
        {
            float* a = aSegments[segment] + aOffset, a1 = a + lda, bs = bSegments[segment];
            float* b = bs + o0, b1 = bs + o1, b2 = bs + o2, b3 = bs + o3;
            int kk = 0;
            for (; kk + w <= k; kk += w)
            {
                V x = V.Load(a + kk), y = V.Load(a1 + kk);
                V v = V.Load(b + kk); p0 = V.MultiplyAdd(x, v, p0); q0 = V.MultiplyAdd(y, v, q0);
                v = V.Load(b1 + kk); p1 = V.MultiplyAdd(x, v, p1); q1 = V.MultiplyAdd(y, v, q1);
                v = V.Load(b2 + kk); p2 = V.MultiplyAdd(x, v, p2); q2 = V.MultiplyAdd(y, v, q2);
                v = V.Load(b3 + kk); p3 = V.MultiplyAdd(x, v, p3); q3 = V.MultiplyAdd(y, v, q3);
            }
            for (; kk < k; kk++)
            {
                float x = a[kk], y = a1[kk];
                s0 = MathF.FusedMultiplyAdd(x, b[kk], s0); t0 = MathF.FusedMultiplyAdd(y, b[kk], t0);
                s1 = MathF.FusedMultiplyAdd(x, b1[kk], s1); t1 = MathF.FusedMultiplyAdd(y, b1[kk], t1);
                s2 = MathF.FusedMultiplyAdd(x, b2[kk], s2); t2 = MathF.FusedMultiplyAdd(y, b2[kk], t2);
                s3 = MathF.FusedMultiplyAdd(x, b3[kk], s3); t3 = MathF.FusedMultiplyAdd(y, b3[kk], t3);
            }
        }
        c[0] += s0 + V.Sum(p0); c[1] += s1 + V.Sum(p1); c[2] += s2 + V.Sum(p2); c[3] += s3 + V.Sum(p3);
        float* cn = c + ldc;
        cn[0] += t0 + V.Sum(q0); cn[1] += t1 + V.Sum(q1); cn[2] += t2 + V.Sum(q2); cn[3] += t3 + V.Sum(q3);
    }

    private static float SegmentsDotRow<V>(int k, float** aSegments, float** bSegments, int segments, nint aOffset, nint bOffset)
        where V : unmanaged, ISimdVector<V>
    {
        float sum = 0;
        for (int segment = 0; segment < segments; segment++)
            sum += DotRow<V>(k, aSegments[segment] + aOffset, bSegments[segment] + bOffset);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot2x4<V>(int k, float* a, nint lda, float* b, float* b1, float* b2, float* b3, float* c, nint ldc)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count;
        float* a1 = a + lda;
        V p0 = V.Zero, p1 = V.Zero, p2 = V.Zero, p3 = V.Zero, q0 = V.Zero, q1 = V.Zero, q2 = V.Zero, q3 = V.Zero;
        int kk = 0;
        for (; kk + w <= k; kk += w)
        {
            V x = V.Load(a + kk), y = V.Load(a1 + kk);
            V v = V.Load(b + kk); p0 = V.MultiplyAdd(x, v, p0); q0 = V.MultiplyAdd(y, v, q0);
            v = V.Load(b1 + kk); p1 = V.MultiplyAdd(x, v, p1); q1 = V.MultiplyAdd(y, v, q1);
            v = V.Load(b2 + kk); p2 = V.MultiplyAdd(x, v, p2); q2 = V.MultiplyAdd(y, v, q2);
            v = V.Load(b3 + kk); p3 = V.MultiplyAdd(x, v, p3); q3 = V.MultiplyAdd(y, v, q3);
        }
        float s0 = V.Sum(p0), s1 = V.Sum(p1), s2 = V.Sum(p2), s3 = V.Sum(p3);
        float t0 = V.Sum(q0), t1 = V.Sum(q1), t2 = V.Sum(q2), t3 = V.Sum(q3);
        for (; kk < k; kk++)
        {
            float x = a[kk], y = a1[kk];
            s0 = MathF.FusedMultiplyAdd(x, b[kk], s0); t0 = MathF.FusedMultiplyAdd(y, b[kk], t0);
            s1 = MathF.FusedMultiplyAdd(x, b1[kk], s1); t1 = MathF.FusedMultiplyAdd(y, b1[kk], t1);
            s2 = MathF.FusedMultiplyAdd(x, b2[kk], s2); t2 = MathF.FusedMultiplyAdd(y, b2[kk], t2);
            s3 = MathF.FusedMultiplyAdd(x, b3[kk], s3); t3 = MathF.FusedMultiplyAdd(y, b3[kk], t3);
        }
        c[0] += s0; c[1] += s1; c[2] += s2; c[3] += s3;
        float* cn = c + ldc;
        cn[0] += t0; cn[1] += t1; cn[2] += t2; cn[3] += t3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotRow<V>(int k, float* a, float* b)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count, kk = 0;
        V p0 = V.Zero, p1 = V.Zero;
        for (; kk + 2 * w <= k; kk += 2 * w)
        {
            p0 = V.MultiplyAdd(V.Load(a + kk), V.Load(b + kk), p0);
            p1 = V.MultiplyAdd(V.Load(a + kk + w), V.Load(b + kk + w), p1);
        }
        for (; kk + w <= k; kk += w) p0 = V.MultiplyAdd(V.Load(a + kk), V.Load(b + kk), p0);
        float s = V.Sum(V.Add(p0, p1));
        for (; kk < k; kk++) s = MathF.FusedMultiplyAdd(a[kk], b[kk], s);
        return s;
    }
}
