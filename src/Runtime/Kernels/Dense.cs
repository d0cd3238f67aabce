using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Fully connected layer y = x·Wᵀ + b with PyTorch's units×in weight layout. The products
/// are split into blocks over the <see cref="WorkerPool"/> when they are large enough to pay.</summary>
public static unsafe class Dense
{
    // x: B×I, w: O×I, b: O or empty, y: B×O (overwritten, with the epilogue applied).
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> b, Span<T> y, int batch, int inFeatures, int outFeatures,
        Epilogue epilogue = Epilogue.None)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, w.Length, b.Length, y.Length, batch, inFeatures, outFeatures, "y");
        for (int n = 0; n < batch; n++)
        {
            Span<T> row = y.Slice(n * outFeatures, outFeatures);
            if (b.IsEmpty) row.Clear();
            else b.Slice(0, outFeatures).CopyTo(row);
        }
        fixed (T* px = x, pw = w, py = y)
        {
            // every output is a dot product of an input row with a weight row, both contiguous
            MatMul.ParallelDot(batch, outFeatures, inFeatures, px, inFeatures, pw, inFeatures, py, outFeatures, epilogue);
        }
    }

    // x: B×I, w: O×I, dy: B×O (with an epilogue: the gradient of the activation's output, and
    // activatedOutput that output); dx: B×I or empty (skip), dw: O×I, db: O or empty. All accumulate.
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dw, Span<T> db, int batch, int inFeatures, int outFeatures,
        Epilogue epilogue = Epilogue.None, ReadOnlySpan<T> activatedOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckLengths(x.Length, w.Length, db.Length, dy.Length, batch, inFeatures, outFeatures, "dy");
        if (!dx.IsEmpty && dx.Length < batch * inFeatures)
            throw new ArgumentException($"dx has {dx.Length} elements, fewer than batch {batch} × {inFeatures}.", nameof(dx));
        if (dw.Length < outFeatures * inFeatures)
            throw new ArgumentException($"dw has {dw.Length} elements but the layer has {outFeatures} × {inFeatures} weights.", nameof(dw));
        int outputs = batch * outFeatures;
        if (epilogue != Epilogue.None && activatedOutput.Length < outputs)
            throw new ArgumentException($"the {epilogue} epilogue needs the activated output ({outputs} elements), not {activatedOutput.Length}.", nameof(activatedOutput));
        fixed (T* px = x, pw = w, pdy = dy, pdx = dx, pdw = dw, pact = activatedOutput)
        {
            T* g = pdy;
            if (epilogue != Epilogue.None)
            {
                g = WorkerPool.Scratch<T>(0, outputs);
                Epilogues.ReluGradient(new ReadOnlySpan<T>(pact, outputs), dy.Slice(0, outputs), new Span<T>(g, outputs));
            }
            // dx (B×I) += dy (B×O) · W (O×I)
            if (!dx.IsEmpty)
                MatMul.ParallelBroadcast(batch, inFeatures, outFeatures, g, outFeatures, 1, pw, inFeatures, pdx, inFeatures);
            // dW (O×I) += dyᵀ (O×B) · x (B×I)
            MatMul.ParallelBroadcast(outFeatures, inFeatures, batch, g, 1, outFeatures, px, inFeatures, pdw, inFeatures);
            if (!db.IsEmpty)
                for (int n = 0; n < batch; n++)
                    Tensors.Accumulate(new ReadOnlySpan<T>(g + n * outFeatures, outFeatures), db.Slice(0, outFeatures));
        }
    }

    private static void CheckLengths(int x, int w, int b, int y, int batch, int inFeatures, int outFeatures, string outputName)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1.");
        if (x < batch * inFeatures) throw new ArgumentException($"x has {x} elements, fewer than batch {batch} × {inFeatures}.", nameof(x));
        if (w < outFeatures * inFeatures) throw new ArgumentException($"w has {w} elements but the layer has {outFeatures} × {inFeatures} weights.", nameof(w));
        if (b != 0 && b < outFeatures) throw new ArgumentException($"the bias has {b} elements but the layer has {outFeatures} units.", nameof(b));
        if (y < batch * outFeatures) throw new ArgumentException($"{outputName} has {y} elements, fewer than batch {batch} × {outFeatures}.", outputName);
    }
}
