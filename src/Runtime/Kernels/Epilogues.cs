using System;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>The fused activations, with exactly the semantics of the separate layers in
/// <see cref="Activations"/> (NaN passes through relu; relu'(0) = 0).</summary>
internal static class Epilogues
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu<T>(Span<T> values) where T : unmanaged, IFloatingPointIeee754<T> => Relu<T>(values, values);

    /// <summary>destination = relu(source); the two may be the same span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // max(x, 0) keeps NaN only with the NaN first; Vector.Max does not promise that, so NaN
            // lanes are put back by a compare: identical to the scalar rule for every input
            ReadOnlySpan<float> s = MemoryMarshal.Cast<T, float>(source);
            Span<float> d = MemoryMarshal.Cast<T, float>(destination);
            int i = 0, w = Vector<float>.Count;
            for (; i + w <= s.Length; i += w)
            {
                var v = new Vector<float>(s.Slice(i));
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero) | ~Vector.Equals(v, v), v, Vector<float>.Zero).CopyTo(d.Slice(i));
            }
            for (; i < s.Length; i++) d[i] = s[i] > 0f || float.IsNaN(s[i]) ? s[i] : 0f;
            return;
        }
        for (int i = 0; i < source.Length; i++)
            destination[i] = source[i] > T.Zero || T.IsNaN(source[i]) ? source[i] : T.Zero;
    }

    /// <summary>dx += dy where the relu output passed it (output &gt; 0 or NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateReluGradient<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradient, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> y = MemoryMarshal.Cast<T, float>(output), dy = MemoryMarshal.Cast<T, float>(gradient);
            Span<float> d = MemoryMarshal.Cast<T, float>(dx);
            int w = Vector<float>.Count;
            for (; i + w <= dy.Length; i += w)
            {
                var v = new Vector<float>(y.Slice(i));
                var pass = ~Vector.LessThanOrEqual(v, Vector<float>.Zero);
                (new Vector<float>(d.Slice(i)) + Vector.ConditionalSelect(pass, new Vector<float>(dy.Slice(i)), Vector<float>.Zero)).CopyTo(d.Slice(i));
            }
        }
        for (; i < gradient.Length; i++) if (!(output[i] <= T.Zero)) dx[i] += gradient[i];
    }

    /// <summary>target = the gradient of the epilogue's input: relu' applied through the relu's
    /// <paramref name="output"/>, or the gradient itself without an epilogue.</summary>
    public static void InputGradient<T>(Epilogue epilogue, ReadOnlySpan<T> output, ReadOnlySpan<T> gradient, Span<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (epilogue == Epilogue.Relu) ReluGradient(output, gradient, target);
        else gradient.CopyTo(target);
    }

    /// <summary>target = gradient where the relu output passed it (output &gt; 0 or NaN), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluGradient<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> gradient, Span<T> target)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float))
        {
            // branch-free: whether a unit passed is a coin toss, a mispredicted branch per element
            // cost more than the rest of the backward pass of a small layer
            ReadOnlySpan<float> y = MemoryMarshal.Cast<T, float>(output), dy = MemoryMarshal.Cast<T, float>(gradient);
            Span<float> d = MemoryMarshal.Cast<T, float>(target);
            int w = Vector<float>.Count;
            for (; i + w <= dy.Length; i += w)
            {
                var pass = ~Vector.LessThanOrEqual(new Vector<float>(y.Slice(i)), Vector<float>.Zero);
                Vector.ConditionalSelect(pass, new Vector<float>(dy.Slice(i)), Vector<float>.Zero).CopyTo(d.Slice(i));
            }
        }
        for (; i < gradient.Length; i++) target[i] = output[i] <= T.Zero ? T.Zero : gradient[i];
    }
}
