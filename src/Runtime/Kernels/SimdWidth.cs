using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>The vector width the float kernels run at, chosen once at run time from the hardware.</summary>
internal enum SimdWidth
{
    /// <summary><see cref="System.Numerics.Vector{T}"/> code without FMA: any machine, and all double math.</summary>
    Portable,
    /// <summary>Vector256 with fused multiply-add (AVX2 + FMA).</summary>
    Vector256,
    /// <summary>Vector512 with fused multiply-add (AVX-512F).</summary>
    Vector512,
}

internal static class Simd
{
    public static readonly SimdWidth Best =
        Vector512.IsHardwareAccelerated ? SimdWidth.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SimdWidth.Vector256
        : SimdWidth.Portable;

    /// <summary>Tests force a narrower path to cover it on a wider machine; null means <see cref="Best"/>.</summary>
    internal static SimdWidth? Override { get; set; }

    public static SimdWidth Current => Override is { } width && width <= Best ? width : Best;
}
