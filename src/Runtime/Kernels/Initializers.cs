using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Weight initialisation from a <see cref="DeterministicRandom"/> state, so a seed reproduces a model.</summary>
public static class Initializers
{
    // w: any shape; uniform in [−b, b) with b = sqrt(6 / fanIn) (He/Kaiming uniform for ReLU nets).
    public static void HeUniform<T>(Span<T> w, int fanIn, ref ulong rng)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Uniform(w, T.Sqrt(T.CreateChecked(6.0 / fanIn)), ref rng);

    // w: any shape; uniform in [−b, b) with b = sqrt(6 / (fanIn + fanOut)) (Glorot/Xavier uniform).
    public static void GlorotUniform<T>(Span<T> w, int fanIn, int fanOut, ref ulong rng)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Uniform(w, T.Sqrt(T.CreateChecked(6.0 / (fanIn + fanOut))), ref rng);

    public static void Fill<T>(Span<T> span, T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        => span.Fill(value);

    private static void Uniform<T>(Span<T> w, T bound, ref ulong rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++) w[i] = DeterministicRandom.NextUniform(ref rng, -bound, bound);
    }
}
