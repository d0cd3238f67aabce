using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Inverted dropout: training scales the kept elements by 1/(1 − rate), inference is the identity.</summary>
public static class Dropout
{
    // x, y, mask: same length (y, mask overwritten). mask[i] is 0 (dropped, probability rate) or
    // 1/(1 − rate); rate 1 drops everything. Element i is dropped when the i-th DeterministicRandom
    // double after rngState, u = k·2⁻⁵³, is below rate: compared as integers, k < ⌈rate·2⁵³⌉ (exact,
    // and the same masks for float and double models). Without the conversion, and with the keep
    // scale taken from a two-entry table instead of a branch that a 25 % rate mispredicts every few
    // elements, a draw costs a few cycles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardTraining<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, T rate, ref ulong rngState)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length < x.Length || mask.Length < x.Length)
            throw new ArgumentException($"dropout of {x.Length} elements got an output of {y.Length} and a mask of {mask.Length}.");
        double r = double.CreateChecked(rate);
        T keepScale = rate < T.One ? T.One / (T.One - rate) : T.Zero;
        ulong threshold = r <= 0 ? 0 : r >= 1 ? 1UL << 53 : (ulong)Math.Ceiling(r * 9007199254740992.0);
        Span<T> scale = stackalloc T[2];
        scale[0] = keepScale; // k ≥ threshold: kept
        scale[1] = T.Zero;    // k < threshold: dropped
        ulong state = rngState;
        for (int i = 0; i < x.Length; i++)
        {
            ulong k = DeterministicRandom.NextUInt64(ref state) >> 11;
            // k and threshold are below 2⁶³, so the difference's sign bit says k < threshold
            T m = scale[(int)((k - threshold) >> 63)];
            mask[i] = m;
            y[i] = x[i] * m;
        }
        rngState = state;
    }

    // dy, mask, dx: same length; dx += dy·mask.
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += dy[i] * mask[i];
    }
}
