using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Copies, sums and channel slices: the glue of flatten, add/residual and concat.</summary>
public static class Tensors
{
    // src, dst: same length; dst = src.
    public static void Copy<T>(ReadOnlySpan<T> src, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
        => src.CopyTo(dst);

    // src, dst: same length; dst += src.
    public static void Accumulate<T>(ReadOnlySpan<T> src, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Gemm.Axpy(T.One, src, dst);

    // a, b, y: same length; y = a + b (y may alias a or b).
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T ry = ref MemoryMarshal.GetReference(y);
        int vc = Vector<T>.Count, n = a.Length, i = 0;
        for (; i + vc <= n; i += vc)
            (Vector.LoadUnsafe(ref ra, (nuint)i) + Vector.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        for (; i < n; i++) y[i] = a[i] + b[i];
    }

    public static void Zero<T>(Span<T> span)
        where T : unmanaged, IFloatingPointIeee754<T>
        => span.Clear();

    // src: N×Cs×S → dst: N×Cd×S, channels [offset, offset + Cs) of each example overwritten (concat forward).
    public static void CopyChannelsInto<T>(ReadOnlySpan<T> src, Span<T> dst, int batch, int srcChannels, int dstChannels, int dstChannelOffset, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = srcChannels * spatial;
        for (int n = 0; n < batch; n++)
            src.Slice(n * block, block).CopyTo(dst.Slice((n * dstChannels + dstChannelOffset) * spatial, block));
    }

    // src: N×Cs×S, dst: N×Cd×S; dst += channels [offset, offset + Cd) of src (concat backward into a branch).
    public static void AccumulateChannelsFrom<T>(ReadOnlySpan<T> src, Span<T> dst, int batch, int srcChannels, int dstChannels, int srcChannelOffset, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = dstChannels * spatial;
        for (int n = 0; n < batch; n++)
            Accumulate(src.Slice((n * srcChannels + srcChannelOffset) * spatial, block), dst.Slice(n * block, block));
    }
}
