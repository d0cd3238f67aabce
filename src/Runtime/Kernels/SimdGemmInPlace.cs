using System;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

// The tiles here repeat the packed ones but for where B's rows are: made generic over a row source
// instead, the shared tiles had the JIT spill three of the six A row pointers, and the packed path
// ran 2–3 % slower.
internal static unsafe partial class SimdGemm
{
    /// <summary>As the shifted-view Broadcast (A(i, kk) = a[i·aRow + kk]), reading B in place instead of packing it: C is rowCount
    /// output rows of n columns, row r's column j at c + r·cRowPitch + j (filter i at + i·ldc), and its
    /// B row kk at b + r·bRowPitch + rowOffsets[kk] + j, n contiguous floats of the padded input. Each
    /// output row is cut into its own strips; a one-vector tail is paired with the next row's, the
    /// tile's second vector reading that row. Packing had copied every element of B once per k block
    /// for as few as 64 rows of A; in place, the tiles read each view's few rows of a few dozen floats
    /// per channel from L1. B may be read up to a vector past a row's last column (the views' slack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BroadcastInPlace<V>(int m, int n, int rowCount, int k, float* a, nint aRow, float* b, nint bRowPitch, nint* rowOffsets,
        float* c, nint ldc, nint cRowPitch, bool seed, float* rowSeed, bool relu)
        where V : unmanaged, ISimdVector<V>
    {
        int w = V.Count, strip = 2 * w;
        float* edge = stackalloc float[6 * 2 * 16];
        int depth = Depth(k);
        for (int k0 = 0; k0 < k; k0 += depth)
        {
            int kc = Math.Min(depth, k - k0);
            float* ak = a + k0;
            nint* offsets = rowOffsets + k0;
            bool last = k0 + kc == k;
            for (int r = 0; r < rowCount; r++)
            for (int s = 0; s < n; s += strip)
            {
                float* cs = c + r * cRowPitch + s, bs = b + r * bRowPitch + s;
                int width = Math.Min(strip, n - s);
                // a one-vector tail and the next row's as one strip (on one-vector tiles, with half
                // the accumulators, a row of 112 ran a seventh of its work at a lower rate); the odd
                // row's tail was done with the row before it
                bool paired = width == w && r % 2 == 0 && r + 1 < rowCount;
                if (width == w && r % 2 == 1) continue;
                int second = paired ? (int)cRowPitch : w;
                if (seed && k0 == 0)
                {
                    SeedStrip<V>(m, width, rowSeed, cs, ldc);
                    if (paired) SeedStrip<V>(m, width, rowSeed, cs + cRowPitch, ldc);
                }
                if (width == strip || paired) InPlaceTiles<V>(m, kc, ak, aRow, bs, offsets, paired ? bRowPitch : w, cs, ldc, second);
                else InPlaceEdge<V>(m, kc, width, ak, aRow, bs, offsets, cs, ldc, edge);
                if (relu && last)
                {
                    ReluStrip<V>(m, width, cs, ldc);
                    if (paired) ReluStrip<V>(m, width, cs + cRowPitch, ldc);
                }
            }
        }
    }

    // Rows [0, m) of a two-vector strip whose vectors lie bSecond (in B) and cSecond (in C) apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InPlaceTiles<V>(int m, int kc, float* a, nint aRow, float* b, nint* offsets, nint bSecond, float* c, nint ldc, nint cSecond)
        where V : unmanaged, ISimdVector<V>
    {
        int i = 0, sixes = m / 6 * 6;
        if (m % 6 == 2 && sixes >= 6) sixes -= 6;
        for (; i < sixes; i += 6) InPlace6x2<V>(kc, a + i * aRow, aRow, b, offsets, bSecond, c + i * ldc, ldc, cSecond);
        for (; i + 4 <= m; i += 4) InPlace4x2<V>(kc, a + i * aRow, aRow, b, offsets, bSecond, c + i * ldc, ldc, cSecond);
        for (; i < m; i++) InPlace1x2<V>(kc, a + i * aRow, b, offsets, bSecond, c + i * ldc, cSecond);
    }

    // A last strip narrower than two vectors (and not one vector to pair): the full tiles run on a copy
    // of its C columns, as EdgeStrip does; the B columns past it are read but land in that copy only.
    private static void InPlaceEdge<V>(int m, int kc, int width, float* a, nint aRow, float* b, nint* offsets, float* c, nint ldc, float* edge)
        where V : unmanaged, ISimdVector<V>
    {
        int strip = 2 * V.Count;
        for (int i0 = 0; i0 < m; i0 += 6)
        {
            int rows = Math.Min(6, m - i0);
            ToEdge(c + i0 * ldc, ldc, rows, width, strip, edge);
            InPlaceTiles<V>(rows, kc, a + i0 * aRow, aRow, b, offsets, V.Count, edge, strip, V.Count);
            FromEdge(edge, rows, width, strip, c + i0 * ldc, ldc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InPlace6x2<V>(int kc, float* a, nint aRow, float* b, nint* offsets, nint bSecond, float* c, nint ldc, nint cSecond)
        where V : unmanaged, ISimdVector<V>
    {
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        V x00 = V.Load(c), x01 = V.Load(c + cSecond), x10 = V.Load(c1), x11 = V.Load(c1 + cSecond);
        V x20 = V.Load(c2), x21 = V.Load(c2 + cSecond), x30 = V.Load(c3), x31 = V.Load(c3 + cSecond);
        V x40 = V.Load(c4), x41 = V.Load(c4 + cSecond), x50 = V.Load(c5), x51 = V.Load(c5 + cSecond);
        float* a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
        for (int kk = 0; kk < kc; kk++)
        {
            float* bk = b + offsets[kk];
            V b0 = V.Load(bk), b1 = V.Load(bk + bSecond);
            V s = V.Splat(a[kk]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(a1[kk]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
            s = V.Splat(a2[kk]); x20 = V.MultiplyAdd(s, b0, x20); x21 = V.MultiplyAdd(s, b1, x21);
            s = V.Splat(a3[kk]); x30 = V.MultiplyAdd(s, b0, x30); x31 = V.MultiplyAdd(s, b1, x31);
            s = V.Splat(a4[kk]); x40 = V.MultiplyAdd(s, b0, x40); x41 = V.MultiplyAdd(s, b1, x41);
            s = V.Splat(a5[kk]); x50 = V.MultiplyAdd(s, b0, x50); x51 = V.MultiplyAdd(s, b1, x51);
        }
        x00.Store(c); x01.Store(c + cSecond); x10.Store(c1); x11.Store(c1 + cSecond);
        x20.Store(c2); x21.Store(c2 + cSecond); x30.Store(c3); x31.Store(c3 + cSecond);
        x40.Store(c4); x41.Store(c4 + cSecond); x50.Store(c5); x51.Store(c5 + cSecond);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InPlace4x2<V>(int kc, float* a, nint aRow, float* b, nint* offsets, nint bSecond, float* c, nint ldc, nint cSecond)
        where V : unmanaged, ISimdVector<V>
    {
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        V x00 = V.Load(c), x01 = V.Load(c + cSecond), x10 = V.Load(c1), x11 = V.Load(c1 + cSecond);
        V x20 = V.Load(c2), x21 = V.Load(c2 + cSecond), x30 = V.Load(c3), x31 = V.Load(c3 + cSecond);
        float* a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        for (int kk = 0; kk < kc; kk++)
        {
            float* bk = b + offsets[kk];
            V b0 = V.Load(bk), b1 = V.Load(bk + bSecond);
            V s = V.Splat(a[kk]); x00 = V.MultiplyAdd(s, b0, x00); x01 = V.MultiplyAdd(s, b1, x01);
            s = V.Splat(a1[kk]); x10 = V.MultiplyAdd(s, b0, x10); x11 = V.MultiplyAdd(s, b1, x11);
            s = V.Splat(a2[kk]); x20 = V.MultiplyAdd(s, b0, x20); x21 = V.MultiplyAdd(s, b1, x21);
            s = V.Splat(a3[kk]); x30 = V.MultiplyAdd(s, b0, x30); x31 = V.MultiplyAdd(s, b1, x31);
        }
        x00.Store(c); x01.Store(c + cSecond); x10.Store(c1); x11.Store(c1 + cSecond);
        x20.Store(c2); x21.Store(c2 + cSecond); x30.Store(c3); x31.Store(c3 + cSecond);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InPlace1x2<V>(int kc, float* a, float* b, nint* offsets, nint bSecond, float* c, nint cSecond)
        where V : unmanaged, ISimdVector<V>
    {
        V x0 = V.Load(c), x1 = V.Load(c + cSecond);
        for (int kk = 0; kk < kc; kk++)
        {
            float* bk = b + offsets[kk];
            V s = V.Splat(a[kk]);
            x0 = V.MultiplyAdd(s, V.Load(bk), x0);
            x1 = V.MultiplyAdd(s, V.Load(bk + bSecond), x1);
        }
        x0.Store(c); x1.Store(c + cSecond);
    }
}
