using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// One float vector register, so a microkernel is written once and instantiated per width: the JIT
/// specializes generic code over structs, and the wrapper disappears into the register.
/// </summary>
internal unsafe interface ISimdVector<TSelf> where TSelf : unmanaged, ISimdVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Load(float* source);
    static abstract TSelf Splat(float value);
    static abstract TSelf Zero { get; }
    /// <summary>a·b + c in one rounding.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>Lanes of <paramref name="value"/> where <paramref name="mask"/> is &gt; 0, zero elsewhere.</summary>
    static abstract TSelf KeepWherePositive(TSelf value, TSelf mask);
    static abstract float Sum(TSelf value);
    /// <summary>max(value, 0) lane by lane, NaN kept (as the relu layer does).</summary>
    static abstract TSelf Relu(TSelf value);
    void Store(float* destination);
    /// <summary>Stores lanes [0, count) only (count ≤ Count); the memory past them is not touched.</summary>
    void StoreFirst(float* destination, int count);
}

internal unsafe struct Simd512 : ISimdVector<Simd512>
{
    private Vector512<float> _v;
    private Simd512(Vector512<float> v) => _v = v;
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Splat(float value) => new(Vector512.Create(value));
    public static Simd512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 MultiplyAdd(Simd512 a, Simd512 b, Simd512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Add(Simd512 a, Simd512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Max(Simd512 a, Simd512 b) => new(Vector512.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 KeepWherePositive(Simd512 value, Simd512 mask) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(mask._v, Vector512<float>.Zero), value._v, Vector512<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd512 value) => Vector512.Sum(value._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Relu(Simd512 value) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(value._v, Vector512<float>.Zero) | ~Vector512.Equals(value._v, value._v), value._v, Vector512<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => _v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void StoreFirst(float* destination, int count) =>
        Avx512F.MaskStore(destination, FirstLanes(count).AsSingle(), _v);

    /// <summary>All bits set in lanes [0, count), clear above: the mask of a row's last, partial vector
    /// (count ≤ 0 selects none, ≥ 16 all).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count));
}

internal unsafe struct Simd256 : ISimdVector<Simd256>
{
    private Vector256<float> _v;
    private Simd256(Vector256<float> v) => _v = v;
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Splat(float value) => new(Vector256.Create(value));
    public static Simd256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 MultiplyAdd(Simd256 a, Simd256 b, Simd256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Add(Simd256 a, Simd256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Max(Simd256 a, Simd256 b) => new(Vector256.Max(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 KeepWherePositive(Simd256 value, Simd256 mask) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(mask._v, Vector256<float>.Zero), value._v, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd256 value) => Vector256.Sum(value._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Relu(Simd256 value) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(value._v, Vector256<float>.Zero) | ~Vector256.Equals(value._v, value._v), value._v, Vector256<float>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => _v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void StoreFirst(float* destination, int count) =>
        Avx.MaskStore(destination, Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle(), _v);
}
