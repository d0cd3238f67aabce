using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>The fused activations, with exactly the semantics of the separate layers in
/// <see cref="Activations"/> (NaN passes through relu; relu'(0) = 0).</summary>
internal static class Epilogues
{
    public static void Relu<T>(Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // max(x, 0) keeps NaN only with the NaN first; Vector.Max does not promise that, so NaN
            // lanes are put back by a compare: identical to ReluForward for every input
            Span<float> f = MemoryMarshal.Cast<T, float>(values);
            int i = 0, w = Vector<float>.Count;
            for (; i + w <= f.Length; i += w)
            {
                var v = new Vector<float>(f.Slice(i));
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero) | ~Vector.Equals(v, v), v, Vector<float>.Zero).CopyTo(f.Slice(i));
            }
            for (; i < f.Length; i++) f[i] = f[i] > 0f || float.IsNaN(f[i]) ? f[i] : 0f;
            return;
        }
        for (int i = 0; i < values.Length; i++)
            if (!(values[i] > T.Zero) && !T.IsNaN(values[i])) values[i] = T.Zero;
    }

    /// <summary>target = gradient where the relu output passed it (output &gt; 0 or NaN), else 0.</summary>
    public static void ReluGradient<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradient, Span<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < gradient.Length; i++) target[i] = output[i] <= T.Zero ? T.Zero : gradient[i];
    }
}
