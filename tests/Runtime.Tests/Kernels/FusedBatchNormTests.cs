using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

using BatchNorm = CnnDsl.Runtime.Kernels.BatchNorm;

/// <summary>
/// Batchnorm with a fused relu, and with a fused relu and max pooling, must give what the separate
/// batchnorm, relu and pooling kernels give: outputs, argmax indices, running and saved statistics
/// exactly; gradients to rounding. Inputs are small integers, so values tie and relu zeroes many.
/// </summary>
[Collection(nameof(KernelSettings))]
public sealed class FusedBatchNormTests : IDisposable
{
    private readonly int _threads = ComputeThreads.Count;

    public void Dispose()
    {
        Simd.Override = null;
        ComputeThreads.Count = _threads;
    }

    public static IEnumerable<object[]> Settings() => FastPathTests.Settings();

    // the SIMD width and thread count under test, and a random source seeded per setting
    private static Random Use(string width, int threads, int seed)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        ComputeThreads.Count = threads;
        return new Random(seed + (int)Simd.Override * 10 + threads);
    }

    // batch, channels, height, width, pool window and stride
    private static readonly (int N, int C, int H, int W, int K, int S)[] s_shapes =
    {
        (3, 4, 6, 6, 2, 2),
        (2, 5, 7, 9, 2, 2),     // odd sizes: the last row and column are not pooled
        (2, 3, 9, 9, 3, 2),     // overlapping windows
        (8, 8, 24, 24, 2, 2),   // large enough to split channels over threads
    };

    private static PoolGeometry Pool(int c, int h, int w, int k, int s) =>
        new(c, 1, h, w, 1, (h - k) / s + 1, (w - k) / s + 1, 1, k, k, 1, s, s, 0, 0, 0);

    [Theory]
    [MemberData(nameof(Settings))]
    public void Batchnorm_with_fused_relu_matches_batchnorm_then_relu(string width, int threads)
    {
        var rng = Use(width, threads, 60);
        foreach (var (n, c, h, w, _, _) in s_shapes)
        {
            int spatial = h * w, size = n * c * spatial;
            float[] x = Ints(rng, size), dy = ToFloat(RandomArray(rng, size)), gamma = Ints(rng, c), beta = Ints(rng, c);
            var expected = Run(x, gamma, beta, n, c, spatial, fused: false);
            var actual = Run(x, gamma, beta, n, c, spatial, fused: true);
            string at = $"{width} t{threads} {n}x{c}x{h}x{w}";
            Assert.Equal(expected.Y, actual.Y);
            Assert.Equal(expected.Stats, actual.Stats);

            // separate: relu backward into dBN, then batchnorm backward; fused: relu' inside
            var dbn = new float[size];
            Activations.ReluBackward<float>(expected.Normalised, expected.Y, dy, dbn);
            float[] dx = new float[size], dgamma = new float[c], dbeta = new float[c];
            BatchNorm.Backward<float>(x, dbn, gamma, expected.Stats.AsSpan(0, c), expected.Stats.AsSpan(c, c), dx, dgamma, dbeta, n, c, spatial);
            float[] fdx = new float[size], fdgamma = new float[c], fdbeta = new float[c];
            BatchNorm.Backward<float>(x, dy, gamma, actual.Stats.AsSpan(0, c), actual.Stats.AsSpan(c, c), fdx, fdgamma, fdbeta, n, c, spatial, Epilogue.Relu, actual.Y);
            AssertClose(dx, fdx, 1e-5, "dx " + at);
            AssertClose(dgamma, fdgamma, 1e-5, "dgamma " + at);
            AssertClose(dbeta, fdbeta, 1e-5, "dbeta " + at);
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Batchnorm_with_fused_relu_and_max_pooling_matches_the_separate_kernels(string width, int threads)
    {
        var rng = Use(width, threads, 80);
        foreach (var (n, c, h, w, k, s) in s_shapes)
            foreach (var epilogue in new[] { Epilogue.Relu, Epilogue.None })
                CheckPooled(rng, n, c, h, w, Pool(c, h, w, k, s), epilogue, $"{width} t{threads} {n}x{c}x{h}x{w} pool {k}/{s} {epilogue}");
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Overwriting_dx_gives_what_adding_to_zeros_gives(string width, int threads)
    {
        var rng = Use(width, threads, 90);
        foreach (var (n, c, h, w, k, st) in s_shapes)
        {
            int spatial = h * w, size = n * c * spatial;
            float[] x = Ints(rng, size), gamma = Ints(rng, c), beta = Ints(rng, c), dy = ToFloat(RandomArray(rng, size));
            var forward = Run(x, gamma, beta, n, c, spatial, fused: true);
            ReadOnlySpan<float> mean = forward.Stats.AsSpan(0, c), invStd = forward.Stats.AsSpan(c, c);
            string at = $"{width} t{threads} {n}x{c}x{h}x{w}";
            // dx starts as NaN where it is overwritten: any element read or left unwritten shows
            float[] added = new float[size], written = new float[size];
            written.AsSpan().Fill(float.NaN);
            BatchNorm.Backward<float>(x, dy, gamma, mean, invStd, added, new float[c], new float[c], n, c, spatial, Epilogue.Relu, forward.Y);
            BatchNorm.Backward<float>(x, dy, gamma, mean, invStd, written, new float[c], new float[c], n, c, spatial, Epilogue.Relu, forward.Y, accumulate: false);
            Assert.True(added.AsSpan().SequenceEqual(written), "batchnorm + relu " + at);

            var pool = Pool(c, h, w, k, st);
            int pooled = n * c * pool.OutSpatial;
            float[] output = new float[pooled], dPooled = ToFloat(RandomArray(rng, pooled)), stats = new float[4 * c];
            var argmax = new int[pooled];
            Array.Fill(stats, 1f, 2 * c, c);
            BatchNorm.ForwardTrainingMaxPooled<float>(x, output, argmax, gamma, beta, stats.AsSpan(0, c), stats.AsSpan(2 * c, c), stats.AsSpan(c, c), stats.AsSpan(3 * c, c),
                n, c, spatial, pool, 1e-5f, 0.1f, Epilogue.Relu);
            added.AsSpan().Clear();
            written.AsSpan().Fill(float.NaN);
            BatchNorm.BackwardMaxPooled<float>(x, dPooled, output, argmax, gamma, stats.AsSpan(c, c), stats.AsSpan(3 * c, c), added, new float[c], new float[c], n, c, spatial, pool, Epilogue.Relu);
            BatchNorm.BackwardMaxPooled<float>(x, dPooled, output, argmax, gamma, stats.AsSpan(c, c), stats.AsSpan(3 * c, c), written, new float[c], new float[c], n, c, spatial, pool, Epilogue.Relu, accumulate: false);
            Assert.True(added.AsSpan().SequenceEqual(written), $"batchnorm + relu + pool {k}/{st} " + at);
        }
    }

    private static void CheckPooled(Random rng, int n, int c, int h, int w, PoolGeometry pool, Epilogue epilogue, string at)
    {
        int spatial = h * w, size = n * c * spatial, pooled = n * c * pool.OutSpatial;
        float[] x = Ints(rng, size), gamma = Ints(rng, c), beta = Ints(rng, c), dPooled = ToFloat(RandomArray(rng, pooled));
        // separate kernels: batchnorm (with the already tested relu epilogue), pooling
        var separate = epilogue == Epilogue.Relu ? Run(x, gamma, beta, n, c, spatial, fused: true) : Run(x, gamma, beta, n, c, spatial, fused: false, relu: false);
        var expected = new float[pooled];
        var expectedArgmax = new int[pooled];
        Pooling.MaxForward<float>(separate.Y, expected, expectedArgmax, n, pool);

        float[] stats = new float[4 * c], actual = new float[pooled];
        var argmax = new int[pooled];
        Array.Fill(stats, 1f, 2 * c, c);
        BatchNorm.ForwardTrainingMaxPooled<float>(x, actual, argmax, gamma, beta, stats.AsSpan(0, c), stats.AsSpan(2 * c, c), stats.AsSpan(c, c), stats.AsSpan(3 * c, c),
            n, c, spatial, pool, 1e-5f, 0.1f, epilogue);
        Assert.Equal(expected, actual);
        Assert.True(expectedArgmax.AsSpan().SequenceEqual(argmax), "argmax differs: " + at);
        // saved mean, saved 1/std, running mean, running variance, as Run lays them out
        float[] actualStats = [.. stats.AsSpan(c, c), .. stats.AsSpan(3 * c, c), .. stats.AsSpan(0, c), .. stats.AsSpan(2 * c, c)];
        Assert.Equal(separate.Stats, actualStats);

        var dy = new float[size];
        Pooling.MaxBackward<float>(dPooled, expectedArgmax, dy, n, pool);
        float[] dx = new float[size], dgamma = new float[c], dbeta = new float[c];
        ReadOnlySpan<float> savedMean = separate.Stats.AsSpan(0, c), savedInvStd = separate.Stats.AsSpan(c, c);
        BatchNorm.Backward<float>(x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, n, c, spatial, epilogue, epilogue == Epilogue.None ? default : separate.Y);
        float[] fdx = new float[size], fdgamma = new float[c], fdbeta = new float[c];
        BatchNorm.BackwardMaxPooled<float>(x, dPooled, actual, argmax, gamma, savedMean, savedInvStd, fdx, fdgamma, fdbeta, n, c, spatial, pool, epilogue);
        AssertClose(dx, fdx, 1e-5, "dx " + at);
        AssertClose(dgamma, fdgamma, 1e-4, "dgamma " + at);
        AssertClose(dbeta, fdbeta, 1e-4, "dbeta " + at);

        // inference with the running statistics the training pass left
        var inferred = new float[size];
        BatchNorm.ForwardInference<float>(x, inferred, gamma, beta, stats.AsSpan(0, c), stats.AsSpan(2 * c, c), n, c, spatial, 1e-5f, epilogue);
        Pooling.MaxForward<float>(inferred, expected, expectedArgmax, n, pool);
        BatchNorm.ForwardInferenceMaxPooled<float>(x, actual, argmax, gamma, beta, stats.AsSpan(0, c), stats.AsSpan(2 * c, c), n, c, spatial, pool, 1e-5f, epilogue);
        Assert.Equal(expected, actual);
        Assert.True(expectedArgmax.AsSpan().SequenceEqual(argmax), "inference argmax differs: " + at);
    }

    private sealed record Result(float[] Normalised, float[] Y, float[] Stats);

    // Training forward: the normalised tensor, the output (relu'd: fused, or by the relu kernel), and
    // saved mean, saved 1/std and running mean, variance in one array.
    private static Result Run(float[] x, float[] gamma, float[] beta, int n, int c, int spatial, bool fused, bool relu = true)
    {
        float[] normalised = new float[x.Length], y = new float[x.Length], running = new float[2 * c], saved = new float[2 * c];
        Array.Fill(running, 1f, c, c);
        BatchNorm.ForwardTraining<float>(x, fused ? y : normalised, gamma, beta, running.AsSpan(0, c), running.AsSpan(c, c), saved.AsSpan(0, c), saved.AsSpan(c, c),
            n, c, spatial, 1e-5f, 0.1f, fused ? Epilogue.Relu : Epilogue.None);
        if (!fused && relu) Activations.ReluForward<float>(normalised, y);
        if (!fused && !relu) normalised.CopyTo(y);
        return new Result(normalised, y, [.. saved, .. running]);
    }

    private static float[] Ints(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = rng.Next(-2, 3);
        return a;
    }

    [Fact]
    public void Pooled_batchnorm_computes_in_double_too()
    {
        var rng = new Random(3);
        int n = 2, c = 3, h = 6, w = 6, spatial = h * w;
        var pool = Pool(c, h, w, 2, 2);
        double[] x = RandomArray(rng, n * c * spatial), gamma = RandomArray(rng, c), beta = RandomArray(rng, c);
        double[] running = { 0, 0, 0, 1, 1, 1 }, saved = new double[2 * c], y = new double[x.Length];
        BatchNorm.ForwardTraining<double>(x, y, gamma, beta, running.AsSpan(0, c), running.AsSpan(c, c), saved.AsSpan(0, c), saved.AsSpan(c, c), n, c, spatial, 1e-5, 0.1, Epilogue.Relu);
        var expected = new double[n * c * pool.OutSpatial];
        var expectedArgmax = new int[expected.Length];
        Pooling.MaxForward<double>(y, expected, expectedArgmax, n, pool);
        double[] running2 = { 0, 0, 0, 1, 1, 1 }, saved2 = new double[2 * c], actual = new double[expected.Length];
        var argmax = new int[expected.Length];
        BatchNorm.ForwardTrainingMaxPooled<double>(x, actual, argmax, gamma, beta, running2.AsSpan(0, c), running2.AsSpan(c, c), saved2.AsSpan(0, c), saved2.AsSpan(c, c), n, c, spatial, pool, 1e-5, 0.1, Epilogue.Relu);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedArgmax, argmax);
        Assert.Equal(running, running2);
    }

    public static IEnumerable<object[]> Widths() => Enum.GetValues<SimdWidth>().Select(w => new object[] { w.ToString() });

    [Theory]
    [MemberData(nameof(Widths))]
    public void A_pooling_that_does_not_fit_or_an_argmax_outside_the_plane_is_refused(string width)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        ComputeThreads.Count = 1;
        int n = 2, c = 2;
        // 4×4 planes pool to 4 values (a scalar tail only), 8×8 ones to 16 (two whole vectors of 8)
        foreach (var (side, index, value) in new[] { (4, 5, 16), (8, 16 + 3, 64), (8, 2 * 16 + 9, -1), (8, 3 * 16 + 15, 1000) })
        {
            int spatial = side * side;
            var pool = Pool(c, side, side, 2, 2);
            float[] x = new float[n * c * spatial], gamma = new float[c], beta = new float[c], stats = new float[c], pooled = new float[n * c * pool.OutSpatial];
            var argmax = new int[pooled.Length];
            var wrong = Assert.Throws<ArgumentException>(() => BatchNorm.ForwardTrainingMaxPooled<float>(x, pooled, argmax, gamma, beta, stats, stats, stats, stats,
                n, c, spatial, pool with { Channels = 3 }, 1e-5f, 0.1f));
            Assert.Contains("cannot follow this batchnorm", wrong.Message);
            argmax[index] = value;
            var outside = Assert.Throws<ArgumentException>(() => BatchNorm.BackwardMaxPooled<float>(x, pooled, pooled, argmax, gamma, stats, stats,
                new float[x.Length], new float[c], new float[c], n, c, spatial, pool, Epilogue.Relu));
            int q = pool.OutSpatial;
            Assert.Contains($"argmax {value} of example {index / (c * q)}, channel {index / q % c} is outside its plane of {spatial} positions", outside.Message);
        }
    }
}
