using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Inverted dropout: training scales the kept elements by 1/(1 − rate), inference is the identity.</summary>
public static class Dropout
{
    // x, y, mask: same length (y, mask overwritten). mask[i] is 0 (dropped, probability rate) or
    // 1/(1 − rate); rate 1 drops everything. Draws one DeterministicRandom number per element.
    public static void ForwardTraining<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, T rate, ref ulong rngState)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keepScale = rate < T.One ? T.One / (T.One - rate) : T.Zero;
        for (int i = 0; i < x.Length; i++)
        {
            T u = T.CreateChecked(DeterministicRandom.NextDouble(ref rngState));
            T m = u < rate ? T.Zero : keepScale;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    // dy, mask, dx: same length; dx += dy·mask.
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += dy[i] * mask[i];
    }
}
