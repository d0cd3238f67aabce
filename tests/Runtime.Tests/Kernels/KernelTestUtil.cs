using System;
using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Runtime.Tests.Kernels;

/// <summary>Random data, tolerant comparison and central finite differences for the kernel tests.</summary>
internal static class KernelTestUtil
{
    public static double[] RandomArray(Random rng, int length, double lo = -1, double hi = 1)
    {
        var a = new double[length];
        for (int i = 0; i < length; i++) a[i] = lo + (hi - lo) * rng.NextDouble();
        return a;
    }

    // Values whose pairwise gaps are at least `gap`, so max-style kernels have no ties or near-ties
    // that a ±1e-6 perturbation could flip.
    public static double[] DistinctArray(Random rng, int length, double gap = 1e-2)
    {
        var a = new double[length];
        for (int i = 0; i < length; i++) a[i] = (i - length / 2) * gap;
        for (int i = length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    public static float[] ToFloat(double[] a)
    {
        var f = new float[a.Length];
        for (int i = 0; i < a.Length; i++) f[i] = (float)a[i];
        return f;
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    // |a-b| ≤ tol·max(1, |a|, |b|) element-wise, with the first offending index in the message.
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double scale = Math.Max(1.0, Math.Max(Math.Abs(e), Math.Abs(a)));
            if (!(Math.Abs(e - a) <= tol * scale))
                Assert.Fail($"{what}[{i}]: expected {e:R}, got {a:R} (tolerance {tol} relative)");
        }
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tol, string what)
    {
        var e = new double[expected.Length];
        var a = new double[actual.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        for (int i = 0; i < a.Length; i++) a[i] = actual[i];
        AssertClose(e, a, tol, what);
    }

    public const double Step = 1e-6;
    public const double GradientTolerance = 1e-6;

    // Central differences of `loss` with respect to every element of `x`, against `analytic`.
    // Relative error |num − ana| / max(|num|, |ana|, 1e-2): the floor keeps rounding noise of
    // near-zero gradients (≈1e-10 absolute at this step) from counting as a failure.
    public static void CheckGradient(string name, double[] x, double[] analytic, Func<double> loss)
    {
        Assert.Equal(x.Length, analytic.Length);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            x[i] = v + Step;
            double lp = loss();
            x[i] = v - Step;
            double lm = loss();
            x[i] = v;
            double num = (lp - lm) / (2 * Step);
            double ana = analytic[i];
            double rel = Math.Abs(num - ana) / Math.Max(1e-2, Math.Max(Math.Abs(num), Math.Abs(ana)));
            if (!(rel < GradientTolerance))
                Assert.Fail($"d/d{name}[{i}]: numeric {num:R}, analytic {ana:R}, relative error {rel:E2}");
        }
    }
}

/// <summary>The convolution algorithm the plan chooses for a layer of this shape (ConvShape.Forward and
/// .Backward of KernelLimits.cs, which the planner reads): what generated code passes the kernels.</summary>
internal static class Algorithms
{
    public static ConvolutionAlgorithm Forward(in ConvGeometry g) => Of(g.Shape.Forward);

    public static ConvolutionAlgorithm Backward(in ConvGeometry g) => Of(g.Shape.Backward);

    private static ConvolutionAlgorithm Of(CnnDsl.Planning.ConvKernel kernel) => kernel switch
    {
        CnnDsl.Planning.ConvKernel.Direct => ConvolutionAlgorithm.Direct,
        CnnDsl.Planning.ConvKernel.ShiftedGemm => ConvolutionAlgorithm.ShiftedGemm,
        CnnDsl.Planning.ConvKernel.Im2ColGemm => ConvolutionAlgorithm.Im2ColGemm,
        CnnDsl.Planning.ConvKernel.PointwiseGemm => ConvolutionAlgorithm.PointwiseGemm,
    };
}
