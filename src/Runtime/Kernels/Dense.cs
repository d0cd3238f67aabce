using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Fully connected layer y = x·Wᵀ + b with PyTorch's units×in weight layout.</summary>
public static class Dense
{
    // x: B×I, w: O×I, b: O or empty, y: B×O (overwritten).
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y, int batch, int inFeatures, int outFeatures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        {
            Span<T> row = y.Slice(n * outFeatures, outFeatures);
            if (b.IsEmpty) row.Clear();
            else b.Slice(0, outFeatures).CopyTo(row);
        }
        // every output is a dot product of an input row with a weight row, both contiguous
        Gemm.Dot(batch, outFeatures, inFeatures, x, inFeatures, w, inFeatures, y, outFeatures);
    }

    // x: B×I, w: O×I, dy: B×O; dx: B×I or empty (skip), dw: O×I, db: O or empty. All accumulate.
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dw, Span<T> db, int batch, int inFeatures, int outFeatures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // dx (B×I) += dy (B×O) · W (O×I)
        if (!dx.IsEmpty)
            Gemm.Broadcast(batch, inFeatures, outFeatures, dy, outFeatures, 1, w, inFeatures, dx, inFeatures);
        // dW (O×I) += dyᵀ (O×B) · x (B×I)
        Gemm.Broadcast(outFeatures, inFeatures, batch, dy, 1, outFeatures, x, inFeatures, dw, inFeatures);
        if (!db.IsEmpty)
            for (int n = 0; n < batch; n++)
                Tensors.Accumulate(dy.Slice(n * outFeatures, outFeatures), db.Slice(0, outFeatures));
    }
}
