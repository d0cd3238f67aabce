using System;
using System.Collections.Generic;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

/// <summary>
/// A max pooling fused behind a convolution (and its relu) must give what the three separate kernels
/// give: the same pooled values and argmax indices forward, the same input, weight and bias gradients
/// backward, on every vector width and thread count and on each of the convolution's paths (shifted
/// views, im2col, pointwise, one example split over threads).
/// </summary>
[Collection(nameof(KernelSettings))]
public sealed class FusedPoolingTests : IDisposable
{
    private readonly int _threads = ComputeThreads.Count;

    public void Dispose()
    {
        Simd.Override = null;
        ComputeThreads.Count = _threads;
    }

    public static IEnumerable<object[]> Settings() => FastPathTests.Settings();

    private static ConvGeometry Conv2d(int channels, int height, int width, int filters, int kernel, int stride, int pad)
    {
        int oh = (height + 2 * pad - kernel) / stride + 1, ow = (width + 2 * pad - kernel) / stride + 1;
        return new ConvGeometry(channels, 1, height, width, filters, 1, oh, ow, 1, kernel, kernel, 1, stride, stride, 1, 1, 1, 0, pad, pad, 1, PaddingMode.Zeros);
    }

    private static PoolGeometry PoolOf(in ConvGeometry g, int kd, int k, int sd, int s) =>
        new(g.OutChannels, g.OutDepth, g.OutHeight, g.OutWidth,
            (g.OutDepth - kd) / sd + 1, (g.OutHeight - k) / s + 1, (g.OutWidth - k) / s + 1, kd, k, k, sd, s, s, 0, 0, 0);

    public static IEnumerable<(string Name, ConvGeometry Conv, int PoolKernel, int PoolStride, int Batch)> Layers()
    {
        yield return ("LeNet conv1", Conv2d(1, 28, 28, 6, 5, 1, 2), 2, 2, 3);
        yield return ("LeNet conv2 (10x10 output)", Conv2d(6, 14, 14, 16, 5, 1, 0), 2, 2, 5);
        yield return ("odd output 7x9, last row and column dropped", Conv2d(3, 7, 9, 5, 3, 1, 1), 2, 2, 2);
        yield return ("overlapping 3x3/2 windows", Conv2d(4, 11, 11, 7, 3, 1, 1), 3, 2, 2);
        yield return ("stride 2 (shifted views of the phases)", Conv2d(5, 13, 13, 6, 3, 2, 1), 2, 2, 3);
        yield return ("pointwise", Conv2d(9, 6, 6, 5, 1, 1, 0), 2, 2, 2);
        yield return ("one example split over threads", Conv2d(32, 24, 24, 32, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, stride 2", Conv2d(32, 26, 26, 32, 3, 2, 1), 2, 2, 1);
        yield return ("one example split, direct rows", Conv2d(3, 40, 40, 16, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, output columns packed alone", Conv2d(16, 8, 8, 64, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, 3x3/2 windows pooled after the bands", Conv2d(16, 21, 21, 32, 3, 1, 1), 3, 2, 1);
        yield return ("one example split, odd rows, bands of three pooled rows", Conv2d(16, 15, 17, 24, 3, 1, 1), 2, 2, 1);
        yield return ("two examples split over three threads", Conv2d(16, 15, 17, 24, 3, 1, 1), 2, 2, 2);
        yield return ("one example split, one band of large filters (wide)", Conv2d(64, 6, 6, 128, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, B read in place, rows of 32", Conv2d(8, 32, 32, 16, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, B read in place, rows of 48", Conv2d(8, 22, 48, 16, 3, 1, 1), 2, 2, 1);
        yield return ("one example split, B read in place, 3x3/2 windows pooled after", Conv2d(8, 21, 48, 16, 3, 1, 1), 3, 2, 1);
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Fused_max_pooling_matches_the_separate_kernels(string width, int threads)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        ComputeThreads.Count = threads;
        var rng = new Random(40 + (int)Simd.Override * 10 + threads);
        foreach (var (name, g, k, s, batch) in Layers())
            foreach (var epilogue in new[] { Epilogue.Relu, Epilogue.None })
                Check(rng, g, PoolOf(g, 1, k, 1, s), batch, epilogue, $"{name} {width} t{threads} {epilogue}");
    }

    [Fact]
    public void Fused_max_pooling_of_a_3d_convolution_matches_the_separate_kernels()
    {
        var rng = new Random(5);
        var g = new ConvGeometry(2, 4, 6, 6, 3, 4, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, PaddingMode.Zeros);
        Check(rng, g, PoolOf(g, 1, 2, 1, 2), 2, Epilogue.Relu, "3d conv, 1x2x2 pooling");
        Check(rng, g, PoolOf(g, 2, 2, 2, 2), 2, Epilogue.Relu, "3d conv, 2x2x2 pooling");
        // one example over two threads: bands across depth slices, pooled once they are all done
        ComputeThreads.Count = 2;
        var large = new ConvGeometry(8, 6, 12, 12, 16, 6, 12, 12, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, PaddingMode.Zeros);
        Check(rng, large, PoolOf(large, 2, 2, 2, 2), 1, Epilogue.Relu, "3d conv split over threads, 2x2x2 pooling");
    }

    // Whole-valued inputs and weights make many ties and zeros after relu, where the argmax rule and
    // relu'(0) = 0 are easiest to get wrong.
    private static void Check(Random rng, ConvGeometry g, PoolGeometry pool, int batch, Epilogue epilogue, string at)
    {
        float[] x = Ints(rng, batch * g.InChannels * g.InSpatial), w = Ints(rng, g.OutChannels * g.FilterSize), b = Ints(rng, g.OutChannels);
        int full = batch * g.OutChannels * g.OutSpatial, pooled = batch * g.OutChannels * pool.OutSpatial;
        float[] dPooled = ToFloat(RandomArray(rng, pooled));

        var y = new float[full];
        var expected = new float[pooled];
        var expectedArgmax = new int[pooled];
        Convolution.Forward<float>(x, w, b, y, batch, g, Algorithms.Forward(g), epilogue);
        Pooling.MaxForward<float>(y, expected, expectedArgmax, batch, pool);
        var dy = new float[full];
        Pooling.MaxBackward<float>(dPooled, expectedArgmax, dy, batch, pool);
        float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[b.Length];
        Convolution.Backward<float>(x, w, dy, dx, dw, db, batch, g, Algorithms.Backward(g), epilogue, y);

        var actual = new float[pooled];
        var argmax = new int[pooled];
        Convolution.ForwardMaxPooled<float>(x, w, b, actual, argmax, batch, g, pool, Algorithms.Forward(g), epilogue);
        float[] fdx = new float[x.Length], fdw = new float[w.Length], fdb = new float[b.Length];
        Convolution.BackwardMaxPooled<float>(x, w, dPooled, actual, argmax, fdx, fdw, fdb, batch, g, pool, Algorithms.Backward(g), epilogue);

        Assert.Equal(expected, actual);
        Assert.True(expectedArgmax.AsSpan().SequenceEqual(argmax), $"argmax differs: {at}");
        AssertClose(dx, fdx, 1e-5, "dx " + at);
        AssertClose(dw, fdw, 1e-5, "dw " + at);
        AssertClose(db, fdb, 1e-5, "db " + at);
    }

    private static float[] Ints(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Next(-2, 3);
        return a;
    }

    [Fact]
    public void Fused_max_pooling_computes_in_double_too()
    {
        var rng = new Random(9);
        var g = Conv2d(3, 9, 9, 4, 3, 1, 1);
        var pool = PoolOf(g, 1, 2, 1, 2);
        int batch = 2;
        double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial), w = RandomArray(rng, g.OutChannels * g.FilterSize), b = RandomArray(rng, 4);
        var y = new double[batch * g.OutChannels * g.OutSpatial];
        var expected = new double[batch * g.OutChannels * pool.OutSpatial];
        var expectedArgmax = new int[expected.Length];
        ConvolutionReference.Forward<double>(x, w, b, y, batch, g);
        for (int i = 0; i < y.Length; i++) y[i] = Math.Max(0, y[i]);
        Pooling.MaxForward<double>(y, expected, expectedArgmax, batch, pool);
        var actual = new double[expected.Length];
        var argmax = new int[expected.Length];
        Convolution.ForwardMaxPooled<double>(x, w, b, actual, argmax, batch, g, pool, Algorithms.Forward(g), Epilogue.Relu);
        AssertClose(expected, actual, 1e-12, "pooled");
        Assert.Equal(expectedArgmax, argmax);
    }

    [Fact]
    public void A_pooling_that_does_not_fit_the_convolution_is_refused()
    {
        var g = Conv2d(2, 8, 8, 3, 3, 1, 1);
        var padded = PoolOf(g, 1, 2, 1, 2) with { PadHeight = 1, OutHeight = 5 };
        var otherChannels = PoolOf(g, 1, 2, 1, 2) with { Channels = 4 };
        var x = new float[2 * 64]; var w = new float[3 * 18]; var y = new float[3 * 25]; var am = new int[3 * 25];
        foreach (var pool in new[] { padded, otherChannels })
        {
            var e = Assert.Throws<ArgumentException>(() => Convolution.ForwardMaxPooled<float>(x, w, default, y, am, 1, g, pool, Algorithms.Forward(g)));
            Assert.Contains("cannot follow this convolution", e.Message);
        }
        var shortArgmax = Assert.Throws<ArgumentException>(() => Convolution.ForwardMaxPooled<float>(x, w, default, y, new int[10], 1, g, PoolOf(g, 1, 2, 1, 2), Algorithms.Forward(g)));
        Assert.Contains("argmax has 10 elements", shortArgmax.Message);
    }

    [Fact]
    public void An_argmax_outside_the_output_plane_is_refused_in_backward()
    {
        ComputeThreads.Count = 1;
        var g = Conv2d(2, 8, 8, 3, 3, 1, 1);
        var pool = PoolOf(g, 1, 2, 1, 2);
        var x = new float[2 * 64]; var w = new float[3 * 18]; var dy = new float[3 * 16]; var y = new float[3 * 16];
        var am = new int[3 * 16];
        am[7] = 64;
        var e = Assert.Throws<ArgumentException>(() => Convolution.BackwardMaxPooled<float>(x, w, dy, y, am, default, new float[w.Length], default, 1, g, pool, Algorithms.Backward(g)));
        Assert.Contains("argmax 64", e.Message);
    }
}
