using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        T keepScale = rate < T.One ? T.One / (T.One - rate) : T.Zero;
        ulong threshold = Threshold(double.CreateChecked(rate));
        Span<T> scale = stackalloc T[2];
        scale[0] = keepScale; // k ≥ threshold: kept
        scale[1] = T.Zero;    // k < threshold: dropped
        ulong state = rngState;
        int i = 0;
        if (typeof(T) == typeof(float) && Simd.Current == SimdWidth.Vector512 && Avx512DQ.IsSupported)
            i = DrawEightAtATime(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(mask),
                float.CreateTruncating(keepScale), threshold, ref state);
        for (; i < x.Length; i++)
        {
            ulong k = DeterministicRandom.NextUInt64(ref state) >> 11;
            // k and threshold are below 2⁶³, so the difference's sign bit says k < threshold
            T m = scale[(int)((k - threshold) >> 63)];
            mask[i] = m;
            y[i] = x[i] * m;
        }
        rngState = state;
    }

    /// <summary>Draws k (the top 53 bits of a SplitMix64 number) below this drop their element: ⌈rate·2⁵³⌉.
    /// The GPU's dropout kernel compares with the same threshold, so the masks are the same.</summary>
    internal static ulong Threshold(double rate) => rate <= 0 ? 0 : rate >= 1 ? 1UL << 53 : (ulong)Math.Ceiling(rate * 9007199254740992.0);

    // ForwardTraining's loop over the whole vectors of 8 floats; returns the elements done. SplitMix64's
    // i-th draw hashes state + i·γ, so eight lanes hash eight consecutive counters and the masks are
    // exactly the scalar loop's; the 64-bit multiplies need AVX-512DQ. One draw per element cost about
    // 6 cycles, a dense layer's worth of time behind a small convolution network's last pooling.
    private static int DrawEightAtATime(ReadOnlySpan<float> x, Span<float> y, Span<float> mask, float keepScale, ulong threshold, ref ulong state)
    {
        const ulong Golden = 0x9E3779B97F4A7C15UL;
        Vector512<ulong> counter = Vector512.Create(state) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Vector512.Create(Golden);
        Vector512<ulong> step = Vector512.Create(unchecked(8 * Golden)), limit = Vector512.Create(threshold);
        Vector512<ulong> mix1 = Vector512.Create(0xBF58476D1CE4E5B9UL), mix2 = Vector512.Create(0x94D049BB133111EBUL);
        Vector256<float> scale = Vector256.Create(keepScale);
        ref float px = ref MemoryMarshal.GetReference(x), py = ref MemoryMarshal.GetReference(y), pm = ref MemoryMarshal.GetReference(mask);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            Vector512<ulong> z = counter;
            counter += step;
            z = Avx512DQ.MultiplyLow(z ^ (z >> 30), mix1);
            z = Avx512DQ.MultiplyLow(z ^ (z >> 27), mix2);
            z ^= z >> 31;
            // kept where k = z >> 11 is not below the threshold; the narrowed all-ones lanes select the scale
            Vector256<float> keep = Avx512F.ConvertToVector256Int32(Vector512.GreaterThanOrEqual(z >> 11, limit).AsInt64()).AsSingle();
            Vector256<float> m = Vector256.ConditionalSelect(keep, scale, Vector256<float>.Zero);
            Vector256.StoreUnsafe(m, ref pm, (nuint)i);
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref px, (nuint)i) * m, ref py, (nuint)i);
        }
        state += (ulong)i * Golden;
        return i;
    }

    // dy, mask, dx: same length; dx += dy·mask.
    public static void Backward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> mask, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) dx[i] += dy[i] * mask[i];
    }
}
