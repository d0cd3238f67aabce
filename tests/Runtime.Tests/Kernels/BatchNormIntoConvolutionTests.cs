using System;
using System.Collections.Generic;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

using BatchNorm = CnnDsl.Runtime.Kernels.BatchNorm;

/// <summary>
/// A batchnorm that hands its input gradient to the convolution before it must add to that
/// convolution's weight and bias gradients what the batchnorm's dx, fed to the reference
/// convolution backward, adds; and the batchnorm's own gradients must be those of its plain backward.
/// Every SIMD width and thread count, 3×3 kernels (the vector path) and others, odd sizes.
/// </summary>
[Collection(nameof(KernelSettings))]
public sealed class BatchNormIntoConvolutionTests : IDisposable
{
    private readonly int _threads = ComputeThreads.Count;

    public void Dispose()
    {
        Simd.Override = null;
        ComputeThreads.Count = _threads;
    }

    public static IEnumerable<object[]> Settings() => FastPathTests.Settings();

    // batch, input channels, input height and width, kernel height and width, padding (both axes
    // when PadW < 0), filters
    private static readonly (int N, int Cin, int H, int W, int Kh, int Kw, int PadH, int PadW, int F)[] s_shapes =
    {
        (2, 1, 28, 28, 3, 3, 1, 1, 4),   // FashionNet's first block
        (3, 3, 7, 9, 3, 3, 1, 1, 5),     // RGB, odd sizes
        (1, 2, 5, 17, 3, 3, 0, 0, 3),    // no padding: 3×15 outputs, a row one past a vector
        (2, 4, 6, 6, 5, 5, 2, 2, 2),     // 5×5: the general loops
        (2, 1, 13, 33, 2, 3, 0, 1, 3),   // a 2×3 kernel, padding on one axis only
        (8, 1, 24, 24, 3, 3, 1, 1, 8),   // enough elements to split the channels over threads
        (2, 1, 1, 1, 3, 3, 1, 1, 2),     // one pixel
    };

    private static ConvGeometry Conv((int N, int Cin, int H, int W, int Kh, int Kw, int PadH, int PadW, int F) s) =>
        new(s.Cin, 1, s.H, s.W, s.F, 1, s.H + 2 * s.PadH - s.Kh + 1, s.W + 2 * s.PadW - s.Kw + 1,
            1, s.Kh, s.Kw, 1, 1, 1, 1, 1, 1, 0, s.PadH, s.PadW, 1, PaddingMode.Zeros);

    [Theory]
    [MemberData(nameof(Settings))]
    public void Convolution_gradients_match_batchnorm_dx_through_the_reference_backward(string width, int threads)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        ComputeThreads.Count = threads;
        var rng = new Random(90 + (int)Simd.Override * 10 + threads);
        foreach (var shape in s_shapes)
        foreach (bool bias in new[] { true, false })
        {
            var g = Conv(shape);
            int n = shape.N, c = g.OutChannels, spatial = g.OutSpatial, size = n * c * spatial;
            string at = $"{width} t{threads} {shape} bias {bias}";
            Assert.True(BatchNorm.CanTakeConvolutionGradient(g, c, spatial), at);
            float[] input = ToFloat(RandomArray(rng, n * g.InChannels * g.InSpatial)), x = ToFloat(RandomArray(rng, size));
            float[] gamma = ToFloat(RandomArray(rng, c, 0.5, 1.5)), beta = ToFloat(RandomArray(rng, c)), dy = ToFloat(RandomArray(rng, size));
            float[] y = new float[size], mean = new float[c], invStd = new float[c], runningMean = new float[c], runningVar = new float[c];
            BatchNorm.ForwardTraining<float>(x, y, gamma, beta, runningMean, runningVar, mean, invStd, n, c, spatial, 1e-5f, 0.1f, Epilogue.Relu);
            // the gradients start non-zero: both paths must add to them
            float[] startW = ToFloat(RandomArray(rng, c * g.FilterSize)), startB = bias ? ToFloat(RandomArray(rng, c)) : Array.Empty<float>();

            var dx = new float[size];
            float[] dgamma = new float[c], dbeta = new float[c], dw = (float[])startW.Clone(), db = (float[])startB.Clone();
            BatchNorm.Backward<float>(x, dy, gamma, mean, invStd, dx, dgamma, dbeta, n, c, spatial, Epilogue.Relu, y);
            ReferenceWeightGradient(input, dx, dw, db, n, g);
            float[] fdgamma = new float[c], fdbeta = new float[c], fdw = (float[])startW.Clone(), fdb = (float[])startB.Clone();
            BatchNorm.BackwardIntoConvolution<float>(x, dy, gamma, mean, invStd, fdgamma, fdbeta, n, c, spatial, input, g, fdw, fdb, Epilogue.Relu, y);
            AssertClose(dgamma, fdgamma, 1e-5, "dgamma " + at);
            AssertClose(dbeta, fdbeta, 1e-5, "dbeta " + at);
            AssertClose(dw, fdw, 1e-4, "conv dW " + at);
            AssertClose(db, fdb, 1e-4, "conv dB " + at);

            if (g.OutHeight < 2 || g.OutWidth < 2) continue;
            var pool = new PoolGeometry(c, 1, g.OutHeight, g.OutWidth, 1, g.OutHeight / 2, g.OutWidth / 2, 1, 2, 2, 1, 2, 2, 0, 0, 0);
            int pooled = n * c * pool.OutSpatial;
            float[] output = new float[pooled], dPooled = ToFloat(RandomArray(rng, pooled));
            var argmax = new int[pooled];
            BatchNorm.ForwardTrainingMaxPooled<float>(x, output, argmax, gamma, beta, runningMean, runningVar, mean, invStd, n, c, spatial, pool, 1e-5f, 0.1f, Epilogue.Relu);
            dx.AsSpan().Clear();
            dgamma.AsSpan().Clear(); dbeta.AsSpan().Clear(); fdgamma.AsSpan().Clear(); fdbeta.AsSpan().Clear();
            startW.CopyTo(dw); startW.CopyTo(fdw); startB.CopyTo(db); startB.CopyTo(fdb);
            BatchNorm.BackwardMaxPooled<float>(x, dPooled, output, argmax, gamma, mean, invStd, dx, dgamma, dbeta, n, c, spatial, pool, Epilogue.Relu);
            ReferenceWeightGradient(input, dx, dw, db, n, g);
            BatchNorm.BackwardMaxPooledIntoConvolution<float>(x, dPooled, output, argmax, gamma, mean, invStd, fdgamma, fdbeta, n, c, spatial, pool, input, g, fdw, fdb, Epilogue.Relu);
            AssertClose(dgamma, fdgamma, 1e-5, "pooled dgamma " + at);
            AssertClose(dbeta, fdbeta, 1e-5, "pooled dbeta " + at);
            AssertClose(dw, fdw, 1e-4, "pooled conv dW " + at);
            AssertClose(db, fdb, 1e-4, "pooled conv dB " + at);
        }
    }

    [Fact]
    public void Double_precision_takes_the_general_loops_and_matches_too()
    {
        var rng = new Random(7);
        var shape = s_shapes[1];
        var g = Conv(shape);
        int n = shape.N, c = g.OutChannels, spatial = g.OutSpatial, size = n * c * spatial;
        double[] input = RandomArray(rng, n * g.InChannels * g.InSpatial), x = RandomArray(rng, size), gamma = RandomArray(rng, c, 0.5, 1.5), dy = RandomArray(rng, size);
        double[] y = new double[size], mean = new double[c], invStd = new double[c];
        BatchNorm.ForwardTraining<double>(x, y, gamma, new double[c], new double[c], new double[c], mean, invStd, n, c, spatial, 1e-5, 0.1);
        double[] dx = new double[size], dw = new double[c * g.FilterSize], db = new double[c];
        BatchNorm.Backward<double>(x, dy, gamma, mean, invStd, dx, new double[c], new double[c], n, c, spatial);
        ConvolutionReference.Backward<double>(input, new double[dw.Length], dx, Span<double>.Empty, dw, db, n, g);
        double[] fdw = new double[dw.Length], fdb = new double[c];
        BatchNorm.BackwardIntoConvolution<double>(x, dy, gamma, mean, invStd, new double[c], new double[c], n, c, spatial, input, g, fdw, fdb);
        AssertClose(dw, fdw, 1e-12, "conv dW");
        AssertClose(db, fdb, 1e-12, "conv dB");
    }

    [Fact]
    public void A_convolution_it_cannot_take_is_named()
    {
        var g = Conv(s_shapes[0]);
        int c = g.OutChannels, spatial = g.OutSpatial, size = 2 * c * spatial;
        var strided = g with { StrideHeight = 2, OutHeight = 14 };
        Assert.False(BatchNorm.CanTakeConvolutionGradient(strided, c, 14 * 28));
        Assert.False(BatchNorm.CanTakeConvolutionGradient(g with { InChannels = 5 }, c, spatial));
        Assert.False(BatchNorm.CanTakeConvolutionGradient(g, c + 1, spatial));
        float[] x = new float[size], per = new float[c], dw = new float[c * g.FilterSize];
        var e = Assert.Throws<ArgumentException>(() => BatchNorm.BackwardIntoConvolution<float>(x, x, per, per, per, new float[c], new float[c], 2, c, 14 * 28,
            new float[2 * g.InSpatial], strided, dw, default));
        Assert.Contains("cannot hand its weight gradient", e.Message);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.BackwardIntoConvolution<float>(x, x, per, per, per, new float[c], new float[c], 2, c, spatial,
            new float[g.InSpatial], g, dw, default));
        Assert.Equal("convInput", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BatchNorm.BackwardIntoConvolution<float>(x, x, per, per, per, new float[c], new float[c], 2, c, spatial,
            new float[2 * g.InSpatial], g, new float[dw.Length - 1], default));
        Assert.Equal("convWeightGradient", e.ParamName);
    }

    private static void ReferenceWeightGradient(float[] input, float[] outputGradient, float[] dw, float[] db, int batch, in ConvGeometry g)
    {
        double[] w = new double[dw.Length], dwd = new double[dw.Length], dbd = new double[db.Length];
        ConvolutionReference.Backward<double>(ToDouble(input), w, ToDouble(outputGradient), Span<double>.Empty, dwd, dbd, batch, g);
        for (int i = 0; i < dw.Length; i++) dw[i] += (float)dwd[i];
        for (int i = 0; i < db.Length; i++) db[i] += (float)dbd[i];
    }

    private static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);
}
