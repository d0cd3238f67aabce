using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// The two matrix-multiply shapes the layers need, both accumulating (C += A·B). Generic over
/// float and double through <see cref="Vector{T}"/>; no packing buffers, so no workspace.
/// </summary>
internal static class Gemm
{
    // Blocks sized so a KC×NC panel of B stays in L2 (128 KB in float) while 4 rows of C stream.
    private const int KC = 128;
    private const int NC = 256;

    // C: M×N (row stride ldc) += A·B with A(i,k) = a[i*aRow + k*aCol] and B: K×N (row stride ldb).
    // The strided A covers both A (aRow=K, aCol=1) and Aᵀ (aRow=1, aCol=M) without a transpose copy.
    // Vectorised along N: each A element is broadcast against a vector of a B row, 4 C rows at a time
    // so one B load feeds 4 fused updates.
    public static void Broadcast<T>(int m, int n, int k,
        ReadOnlySpan<T> a, int aRow, int aCol, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0 || k == 0) return;
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rc = ref MemoryMarshal.GetReference(c);
        int vc = Vector<T>.Count;
        for (int k0 = 0; k0 < k; k0 += KC)
        {
            int k1 = Math.Min(k, k0 + KC);
            for (int j0 = 0; j0 < n; j0 += NC)
            {
                int j1 = Math.Min(n, j0 + NC);
                int i = 0;
                for (; i + 4 <= m; i += 4)
                {
                    int j = j0;
                    nuint c0 = (nuint)(i * ldc), c1 = c0 + (nuint)ldc, c2 = c1 + (nuint)ldc, c3 = c2 + (nuint)ldc;
                    // 4×2 vector tile: 8 accumulators hide the add latency; 2 B loads and 4 broadcasts per k
                    for (; j + 2 * vc <= j1; j += 2 * vc)
                    {
                        nuint uj = (nuint)j, uk = (nuint)(j + vc);
                        Vector<T> acc0 = Vector.LoadUnsafe(ref rc, c0 + uj), acc4 = Vector.LoadUnsafe(ref rc, c0 + uk);
                        Vector<T> acc1 = Vector.LoadUnsafe(ref rc, c1 + uj), acc5 = Vector.LoadUnsafe(ref rc, c1 + uk);
                        Vector<T> acc2 = Vector.LoadUnsafe(ref rc, c2 + uj), acc6 = Vector.LoadUnsafe(ref rc, c2 + uk);
                        Vector<T> acc3 = Vector.LoadUnsafe(ref rc, c3 + uj), acc7 = Vector.LoadUnsafe(ref rc, c3 + uk);
                        for (int kk = k0; kk < k1; kk++)
                        {
                            nuint bRow = (nuint)(kk * ldb);
                            Vector<T> bv = Vector.LoadUnsafe(ref rb, bRow + uj);
                            Vector<T> bw = Vector.LoadUnsafe(ref rb, bRow + uk);
                            int ai = i * aRow + kk * aCol;
                            var a0 = new Vector<T>(Unsafe.Add(ref ra, ai));
                            var a1 = new Vector<T>(Unsafe.Add(ref ra, ai + aRow));
                            var a2 = new Vector<T>(Unsafe.Add(ref ra, ai + 2 * aRow));
                            var a3 = new Vector<T>(Unsafe.Add(ref ra, ai + 3 * aRow));
                            acc0 += a0 * bv; acc4 += a0 * bw;
                            acc1 += a1 * bv; acc5 += a1 * bw;
                            acc2 += a2 * bv; acc6 += a2 * bw;
                            acc3 += a3 * bv; acc7 += a3 * bw;
                        }
                        acc0.StoreUnsafe(ref rc, c0 + uj); acc4.StoreUnsafe(ref rc, c0 + uk);
                        acc1.StoreUnsafe(ref rc, c1 + uj); acc5.StoreUnsafe(ref rc, c1 + uk);
                        acc2.StoreUnsafe(ref rc, c2 + uj); acc6.StoreUnsafe(ref rc, c2 + uk);
                        acc3.StoreUnsafe(ref rc, c3 + uj); acc7.StoreUnsafe(ref rc, c3 + uk);
                    }
                    for (; j + vc <= j1; j += vc)
                    {
                        nuint uj = (nuint)j;
                        Vector<T> acc0 = Vector.LoadUnsafe(ref rc, c0 + uj);
                        Vector<T> acc1 = Vector.LoadUnsafe(ref rc, c1 + uj);
                        Vector<T> acc2 = Vector.LoadUnsafe(ref rc, c2 + uj);
                        Vector<T> acc3 = Vector.LoadUnsafe(ref rc, c3 + uj);
                        for (int kk = k0; kk < k1; kk++)
                        {
                            Vector<T> bv = Vector.LoadUnsafe(ref rb, (nuint)(kk * ldb) + uj);
                            int ai = i * aRow + kk * aCol;
                            acc0 += new Vector<T>(Unsafe.Add(ref ra, ai)) * bv;
                            acc1 += new Vector<T>(Unsafe.Add(ref ra, ai + aRow)) * bv;
                            acc2 += new Vector<T>(Unsafe.Add(ref ra, ai + 2 * aRow)) * bv;
                            acc3 += new Vector<T>(Unsafe.Add(ref ra, ai + 3 * aRow)) * bv;
                        }
                        acc0.StoreUnsafe(ref rc, c0 + uj);
                        acc1.StoreUnsafe(ref rc, c1 + uj);
                        acc2.StoreUnsafe(ref rc, c2 + uj);
                        acc3.StoreUnsafe(ref rc, c3 + uj);
                    }
                    for (; j < j1; j++)
                    {
                        T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
                        for (int kk = k0; kk < k1; kk++)
                        {
                            T bv = Unsafe.Add(ref rb, kk * ldb + j);
                            int ai = i * aRow + kk * aCol;
                            s0 += Unsafe.Add(ref ra, ai) * bv;
                            s1 += Unsafe.Add(ref ra, ai + aRow) * bv;
                            s2 += Unsafe.Add(ref ra, ai + 2 * aRow) * bv;
                            s3 += Unsafe.Add(ref ra, ai + 3 * aRow) * bv;
                        }
                        Unsafe.Add(ref rc, (int)c0 + j) += s0;
                        Unsafe.Add(ref rc, (int)c1 + j) += s1;
                        Unsafe.Add(ref rc, (int)c2 + j) += s2;
                        Unsafe.Add(ref rc, (int)c3 + j) += s3;
                    }
                }
                for (; i < m; i++)
                {
                    int j = j0;
                    nuint c0 = (nuint)(i * ldc);
                    for (; j + vc <= j1; j += vc)
                    {
                        nuint uj = (nuint)j;
                        Vector<T> acc0 = Vector.LoadUnsafe(ref rc, c0 + uj);
                        for (int kk = k0; kk < k1; kk++)
                            acc0 += new Vector<T>(Unsafe.Add(ref ra, i * aRow + kk * aCol)) * Vector.LoadUnsafe(ref rb, (nuint)(kk * ldb) + uj);
                        acc0.StoreUnsafe(ref rc, c0 + uj);
                    }
                    for (; j < j1; j++)
                    {
                        T s0 = T.Zero;
                        for (int kk = k0; kk < k1; kk++)
                            s0 += Unsafe.Add(ref ra, i * aRow + kk * aCol) * Unsafe.Add(ref rb, kk * ldb + j);
                        Unsafe.Add(ref rc, (int)c0 + j) += s0;
                    }
                }
            }
        }
    }

    // C: M×N (row stride ldc) += A·Bᵀ with A: M×K (row stride lda) and B: N×K (row stride ldb).
    // Every C element is a dot product of two contiguous rows, vectorised along K; 4 rows of B are
    // taken at once so each A vector load feeds 4 products, and the 4 B rows stay cached over all i.
    public static void Dot<T>(int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0 || k == 0) return;
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rc = ref MemoryMarshal.GetReference(c);
        int vc = Vector<T>.Count;
        int j = 0;
        for (; j + 4 <= n; j += 4)
        {
            nuint b0 = (nuint)(j * ldb), b1 = b0 + (nuint)ldb, b2 = b1 + (nuint)ldb, b3 = b2 + (nuint)ldb;
            int i = 0;
            // 2×4 tile: two A rows against four B rows, 8 independent accumulators
            for (; i + 2 <= m; i += 2)
            {
                nuint a0 = (nuint)(i * lda), a1 = a0 + (nuint)lda;
                Vector<T> p0 = Vector<T>.Zero, p1 = Vector<T>.Zero, p2 = Vector<T>.Zero, p3 = Vector<T>.Zero;
                Vector<T> q0 = Vector<T>.Zero, q1 = Vector<T>.Zero, q2 = Vector<T>.Zero, q3 = Vector<T>.Zero;
                int kk = 0;
                for (; kk + vc <= k; kk += vc)
                {
                    nuint uk = (nuint)kk;
                    Vector<T> av = Vector.LoadUnsafe(ref ra, a0 + uk), aw = Vector.LoadUnsafe(ref ra, a1 + uk);
                    Vector<T> v0 = Vector.LoadUnsafe(ref rb, b0 + uk), v1 = Vector.LoadUnsafe(ref rb, b1 + uk);
                    Vector<T> v2 = Vector.LoadUnsafe(ref rb, b2 + uk), v3 = Vector.LoadUnsafe(ref rb, b3 + uk);
                    p0 += av * v0; p1 += av * v1; p2 += av * v2; p3 += av * v3;
                    q0 += aw * v0; q1 += aw * v1; q2 += aw * v2; q3 += aw * v3;
                }
                T s0 = Vector.Sum(p0), s1 = Vector.Sum(p1), s2 = Vector.Sum(p2), s3 = Vector.Sum(p3);
                T t0 = Vector.Sum(q0), t1 = Vector.Sum(q1), t2 = Vector.Sum(q2), t3 = Vector.Sum(q3);
                for (; kk < k; kk++)
                {
                    T av = Unsafe.Add(ref ra, (int)a0 + kk), aw = Unsafe.Add(ref ra, (int)a1 + kk);
                    T v0 = Unsafe.Add(ref rb, (int)b0 + kk), v1 = Unsafe.Add(ref rb, (int)b1 + kk);
                    T v2 = Unsafe.Add(ref rb, (int)b2 + kk), v3 = Unsafe.Add(ref rb, (int)b3 + kk);
                    s0 += av * v0; s1 += av * v1; s2 += av * v2; s3 += av * v3;
                    t0 += aw * v0; t1 += aw * v1; t2 += aw * v2; t3 += aw * v3;
                }
                ref T ci = ref Unsafe.Add(ref rc, i * ldc + j);
                ci += s0; Unsafe.Add(ref ci, 1) += s1; Unsafe.Add(ref ci, 2) += s2; Unsafe.Add(ref ci, 3) += s3;
                ref T cn = ref Unsafe.Add(ref ci, ldc);
                cn += t0; Unsafe.Add(ref cn, 1) += t1; Unsafe.Add(ref cn, 2) += t2; Unsafe.Add(ref cn, 3) += t3;
            }
            for (; i < m; i++)
            {
                nuint a0 = (nuint)(i * lda);
                Vector<T> acc0 = Vector<T>.Zero, acc1 = Vector<T>.Zero, acc2 = Vector<T>.Zero, acc3 = Vector<T>.Zero;
                int kk = 0;
                for (; kk + vc <= k; kk += vc)
                {
                    nuint uk = (nuint)kk;
                    Vector<T> av = Vector.LoadUnsafe(ref ra, a0 + uk);
                    acc0 += av * Vector.LoadUnsafe(ref rb, b0 + uk);
                    acc1 += av * Vector.LoadUnsafe(ref rb, b1 + uk);
                    acc2 += av * Vector.LoadUnsafe(ref rb, b2 + uk);
                    acc3 += av * Vector.LoadUnsafe(ref rb, b3 + uk);
                }
                T s0 = Vector.Sum(acc0), s1 = Vector.Sum(acc1), s2 = Vector.Sum(acc2), s3 = Vector.Sum(acc3);
                for (; kk < k; kk++)
                {
                    T av = Unsafe.Add(ref ra, (int)a0 + kk);
                    s0 += av * Unsafe.Add(ref rb, (int)b0 + kk);
                    s1 += av * Unsafe.Add(ref rb, (int)b1 + kk);
                    s2 += av * Unsafe.Add(ref rb, (int)b2 + kk);
                    s3 += av * Unsafe.Add(ref rb, (int)b3 + kk);
                }
                ref T ci = ref Unsafe.Add(ref rc, i * ldc + j);
                ci += s0;
                Unsafe.Add(ref ci, 1) += s1;
                Unsafe.Add(ref ci, 2) += s2;
                Unsafe.Add(ref ci, 3) += s3;
            }
        }
        for (; j < n; j++)
        {
            nuint b0 = (nuint)(j * ldb);
            for (int i = 0; i < m; i++)
            {
                nuint a0 = (nuint)(i * lda);
                Vector<T> acc0 = Vector<T>.Zero;
                int kk = 0;
                for (; kk + vc <= k; kk += vc)
                    acc0 += Vector.LoadUnsafe(ref ra, a0 + (nuint)kk) * Vector.LoadUnsafe(ref rb, b0 + (nuint)kk);
                T s0 = Vector.Sum(acc0);
                for (; kk < k; kk++)
                    s0 += Unsafe.Add(ref ra, (int)a0 + kk) * Unsafe.Add(ref rb, (int)b0 + kk);
                Unsafe.Add(ref rc, i * ldc + j) += s0;
            }
        }
    }

    // y += alpha·x over equal-length spans, vectorised.
    public static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        int vc = Vector<T>.Count, n = x.Length, i = 0;
        var va = new Vector<T>(alpha);
        for (; i + vc <= n; i += vc)
            (Vector.LoadUnsafe(ref ry, (nuint)i) + va * Vector.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref ry, i) += alpha * Unsafe.Add(ref rx, i);
    }

    // Sum of a span, vectorised.
    public static T Sum<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        int vc = Vector<T>.Count, n = x.Length, i = 0;
        Vector<T> acc = Vector<T>.Zero;
        for (; i + vc <= n; i += vc) acc += Vector.LoadUnsafe(ref rx, (nuint)i);
        T s = Vector.Sum(acc);
        for (; i < n; i++) s += Unsafe.Add(ref rx, i);
        return s;
    }
}
