using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014) on a caller-held <c>ulong</c> state: the same seed gives
/// the same numbers on every platform and runtime, and the state is a plain field a model can
/// save in a checkpoint. Each call advances the state by the golden-ratio increment and hashes it.
/// </summary>
public static class DeterministicRandom
{
    // Uniform over all 64-bit values.
    public static ulong NextUInt64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1) on the 2^24 grid, so every value is an exact float and 1 is never returned.
    public static float NextFloat(ref ulong state) => (NextUInt64(ref state) >> 40) * (1f / 16777216f);

    // Uniform in [0, 1) on the 2^53 grid.
    public static double NextDouble(ref ulong state) => (NextUInt64(ref state) >> 11) * (1.0 / 9007199254740992.0);

    // Uniform in [lo, hi) (hi itself only through rounding of lo + (hi − lo)·u in T).
    public static T NextUniform<T>(ref ulong state, T lo, T hi)
        where T : unmanaged, IFloatingPointIeee754<T>
        => lo + (hi - lo) * T.CreateChecked(NextDouble(ref state));
}
