using System;
using System.Collections.Generic;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

public class ConvolutionTests
{
    // A random geometry of the given rank (1, 2 or 3 spatial axes); unused leading axes are size 1.
    // Paddings before and after are drawn independently, so the output size sometimes implies more
    // and sometimes less padding after than before; strides leave unread rows.
    internal static ConvGeometry RandomGeometry(Random rng, int rank, PaddingMode mode, int maxIn = 9)
    {
        var inS = new int[3]; var outS = new int[3]; var k = new int[3]; var s = new int[3]; var d = new int[3]; var p = new int[3];
        for (int a = 0; a < 3; a++)
        {
            if (a < 3 - rank) { inS[a] = outS[a] = k[a] = s[a] = d[a] = 1; p[a] = 0; continue; }
            while (true)
            {
                k[a] = rng.Next(1, 4); d[a] = rng.Next(1, 3); s[a] = rng.Next(1, 4);
                inS[a] = rng.Next(1, maxIn + 1);
                int extent = d[a] * (k[a] - 1) + 1;
                int before = rng.Next(0, extent), after = rng.Next(0, extent);
                if (inS[a] + before + after < extent) continue;
                if (mode != PaddingMode.Zeros && (before >= inS[a] || after >= inS[a])) continue;
                p[a] = before;
                outS[a] = (inS[a] + before + after - extent) / s[a] + 1;
                break;
            }
        }
        int groups = rng.Next(1, 4);
        int c = groups * rng.Next(1, 4), f = groups * rng.Next(1, 4);
        return new ConvGeometry(c, inS[0], inS[1], inS[2], f, outS[0], outS[1], outS[2],
            k[0], k[1], k[2], s[0], s[1], s[2], d[0], d[1], d[2], p[0], p[1], p[2], groups, mode);
    }

    public static IEnumerable<object[]> Seeds()
    {
        for (int seed = 0; seed < 48; seed++) yield return new object[] { seed };
    }

    private static int WeightLength(in ConvGeometry g) => g.OutChannels * g.FilterSize;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Fast_path_matches_reference_in_double_and_float(int seed)
    {
        var rng = new Random(seed);
        var mode = (PaddingMode)(seed % 4);
        int rank = 1 + seed / 4 % 3;
        var g = RandomGeometry(rng, rank, mode, rank == 1 ? 40 : rank == 2 ? 12 : 6);
        int batch = rng.Next(1, 3);
        bool withBias = seed % 5 != 0;
        double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial);
        double[] w = RandomArray(rng, WeightLength(g));
        double[] b = withBias ? RandomArray(rng, g.OutChannels) : Array.Empty<double>();
        double[] dy = RandomArray(rng, batch * g.OutChannels * g.OutSpatial);
        // pre-filled gradients prove both paths accumulate rather than overwrite
        double[] dx0 = RandomArray(rng, x.Length), dw0 = RandomArray(rng, w.Length), db0 = RandomArray(rng, b.Length);

        var yRef = new double[dy.Length];
        ConvolutionReference.Forward<double>(x, w, b, yRef, batch, g);
        double[] dxRef = (double[])dx0.Clone(), dwRef = (double[])dw0.Clone(), dbRef = (double[])db0.Clone();
        ConvolutionReference.Backward<double>(x, w, dy, dxRef, dwRef, dbRef, batch, g);
        var y = new double[dy.Length];
        y.AsSpan().Fill(double.NaN); // forward must overwrite every element
        Convolution.Forward<double>(x, w, b, y, batch, g, Algorithms.Forward(g));
        double[] dx = (double[])dx0.Clone(), dw = (double[])dw0.Clone(), db = (double[])db0.Clone();
        Convolution.Backward<double>(x, w, dy, dx, dw, db, batch, g, Algorithms.Backward(g));
        string at = g.ToString();
        AssertClose(yRef, y, 1e-12, "y " + at);
        AssertClose(dxRef, dx, 1e-12, "dx " + at);
        AssertClose(dwRef, dw, 1e-12, "dw " + at);
        AssertClose(dbRef, db, 1e-12, "db " + at);

        float[] xf = ToFloat(x), wf = ToFloat(w), bf = ToFloat(b), dyf = ToFloat(dy);
        var yf = new float[y.Length];
        Convolution.Forward<float>(xf, wf, bf, yf, batch, g, Algorithms.Forward(g));
        float[] dxf = ToFloat(dx0), dwf = ToFloat(dw0), dbf = ToFloat(db0);
        Convolution.Backward<float>(xf, wf, dyf, dxf, dwf, dbf, batch, g, Algorithms.Backward(g));
        AssertClose(ToFloat(yRef), yf, 1e-5, "float y " + at);
        AssertClose(ToFloat(dxRef), dxf, 1e-5, "float dx " + at);
        AssertClose(ToFloat(dwRef), dwf, 1e-5, "float dw " + at);
        AssertClose(ToFloat(dbRef), dbf, 1e-5, "float db " + at);
    }

    [Fact]
    public void Fast_path_matches_reference_on_larger_layers()
    {
        var rng = new Random(7);
        var cases = new[]
        {
            // 5x5 conv, 6 filters, on a 1x28x28 image with p2 (LeNet's first layer)
            new ConvGeometry(1, 1, 28, 28, 6, 1, 28, 28, 1, 5, 5, 1, 1, 1, 1, 1, 1, 0, 2, 2, 1, PaddingMode.Zeros),
            // 1x1 pointwise, 8 → 12 channels, groups 2 (takes the no-im2col path)
            new ConvGeometry(8, 1, 7, 9, 12, 1, 7, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 2, PaddingMode.Zeros),
            // depthwise 3x3 s2 on 17x13, reflect
            new ConvGeometry(4, 1, 17, 13, 4, 1, 9, 7, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1, 4, PaddingMode.Reflect),
            // 1-D, k=7, d=3, s=2, long signal, circular
            new ConvGeometry(3, 1, 1, 101, 5, 1, 1, 47, 1, 1, 7, 1, 1, 2, 1, 1, 3, 0, 0, 4, 1, PaddingMode.Circular),
        };
        foreach (var g in cases)
        {
            int batch = 2;
            double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial), w = RandomArray(rng, WeightLength(g));
            double[] b = RandomArray(rng, g.OutChannels), dy = RandomArray(rng, batch * g.OutChannels * g.OutSpatial);
            var yRef = new double[dy.Length]; var y = new double[dy.Length];
            ConvolutionReference.Forward<double>(x, w, b, yRef, batch, g);
            Convolution.Forward<double>(x, w, b, y, batch, g, Algorithms.Forward(g));
            AssertClose(yRef, y, 1e-12, "y " + g);
            double[] dxR = new double[x.Length], dwR = new double[w.Length], dbR = new double[b.Length];
            double[] dxF = new double[x.Length], dwF = new double[w.Length], dbF = new double[b.Length];
            ConvolutionReference.Backward<double>(x, w, dy, dxR, dwR, dbR, batch, g);
            Convolution.Backward<double>(x, w, dy, dxF, dwF, dbF, batch, g, Algorithms.Backward(g));
            AssertClose(dxR, dxF, 1e-12, "dx " + g);
            AssertClose(dwR, dwF, 1e-12, "dw " + g);
            AssertClose(dbR, dbF, 1e-12, "db " + g);
        }
    }

    [Fact]
    public void Empty_input_gradient_is_skipped_and_weight_gradient_still_computed()
    {
        var rng = new Random(3);
        var g = new ConvGeometry(2, 1, 5, 5, 3, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, PaddingMode.Zeros);
        double[] x = RandomArray(rng, 50), w = RandomArray(rng, 54), dy = RandomArray(rng, 27);
        var dwR = new double[54]; var dwF = new double[54];
        ConvolutionReference.Backward<double>(x, w, dy, Span<double>.Empty, dwR, Span<double>.Empty, 1, g);
        Convolution.Backward<double>(x, w, dy, Span<double>.Empty, dwF, Span<double>.Empty, 1, g, Algorithms.Backward(g));
        AssertClose(dwR, dwF, 1e-12, "dw");
    }

    [Fact]
    public void Hand_computed_3x3_image_with_2x2_kernel_and_padding()
    {
        // x = [1 2 3; 4 5 6; 7 8 9], kernel [1 0; 0 -1] (cross-correlation: x[i][j] - x[i+1][j+1]), bias 10
        var g = new ConvGeometry(1, 1, 3, 3, 1, 1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, PaddingMode.Zeros);
        double[] x = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w = { 1, 0, 0, -1 }, b = { 10 };
        var y = new double[4];
        Convolution.Forward<double>(x, w, b, y, 1, g, Algorithms.Forward(g));
        Assert.Equal(new double[] { 6, 6, 6, 6 }, y);

        // 3x3 all-ones kernel, p1: each output is the sum of its (zero-padded) 3x3 neighbourhood
        var g2 = new ConvGeometry(1, 1, 3, 3, 1, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, PaddingMode.Zeros);
        var ones = new double[9]; ones.AsSpan().Fill(1);
        var y2 = new double[9];
        Convolution.Forward<double>(x, ones, ReadOnlySpan<double>.Empty, y2, 1, g2, Algorithms.Forward(g2));
        Assert.Equal(new double[] { 12, 21, 16, 27, 45, 33, 24, 39, 28 }, y2);

        // the input gradient of that layer for dy = 1 everywhere counts the windows covering each pixel
        var dx = new double[9];
        Convolution.Backward<double>(x, ones, ones, dx, new double[9], Span<double>.Empty, 1, g2, Algorithms.Backward(g2));
        Assert.Equal(new double[] { 4, 6, 4, 6, 9, 6, 4, 6, 4 }, dx);
    }

    [Fact]
    public void Hand_computed_1d_padding_modes()
    {
        // 1-D identity kernel of width 5 picking the leftmost tap: y[i] = x_padded[i] with pad 2 before,
        // so the output shows exactly which input each padding mode reads at -2, -1.
        double[] x = { 1, 2, 3, 4 };
        double[] w = { 1, 0, 0, 0, 0 };
        var expected = new Dictionary<PaddingMode, double[]>
        {
            [PaddingMode.Zeros] = new double[] { 0, 0, 1, 2 },
            [PaddingMode.Reflect] = new double[] { 3, 2, 1, 2 },
            [PaddingMode.Replicate] = new double[] { 1, 1, 1, 2 },
            [PaddingMode.Circular] = new double[] { 3, 4, 1, 2 },
        };
        foreach (var (mode, want) in expected)
        {
            var g = new ConvGeometry(1, 1, 1, 4, 1, 1, 1, 4, 1, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 2, 1, mode);
            var y = new double[4];
            Convolution.Forward<double>(x, w, ReadOnlySpan<double>.Empty, y, 1, g, Algorithms.Forward(g));
            Assert.Equal(want, y);
        }
        // the last tap reads +2 past each output: indices 4, 5 beyond the end
        double[] wLast = { 0, 0, 0, 0, 1 };
        var after = new Dictionary<PaddingMode, double[]>
        {
            [PaddingMode.Zeros] = new double[] { 3, 4, 0, 0 },
            [PaddingMode.Reflect] = new double[] { 3, 4, 3, 2 },
            [PaddingMode.Replicate] = new double[] { 3, 4, 4, 4 },
            [PaddingMode.Circular] = new double[] { 3, 4, 1, 2 },
        };
        foreach (var (mode, want) in after)
        {
            var g = new ConvGeometry(1, 1, 1, 4, 1, 1, 1, 4, 1, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 2, 1, mode);
            var y = new double[4];
            Convolution.Forward<double>(x, wLast, ReadOnlySpan<double>.Empty, y, 1, g, Algorithms.Forward(g));
            Assert.Equal(want, y);
        }
    }

    [Theory]
    [InlineData(PaddingMode.Zeros, 1)] [InlineData(PaddingMode.Reflect, 1)] [InlineData(PaddingMode.Replicate, 1)] [InlineData(PaddingMode.Circular, 1)]
    [InlineData(PaddingMode.Zeros, 2)] [InlineData(PaddingMode.Reflect, 2)] [InlineData(PaddingMode.Replicate, 2)] [InlineData(PaddingMode.Circular, 2)]
    [InlineData(PaddingMode.Zeros, 3)] [InlineData(PaddingMode.Reflect, 3)] [InlineData(PaddingMode.Replicate, 3)] [InlineData(PaddingMode.Circular, 3)]
    public void Finite_difference_gradients(PaddingMode mode, int rank)
    {
        var rng = new Random(100 + (int)mode * 10 + rank);
        var g = RandomGeometry(rng, rank, mode, rank == 3 ? 4 : 7);
        int batch = 2;
        double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial), w = RandomArray(rng, WeightLength(g));
        double[] b = RandomArray(rng, g.OutChannels), r = RandomArray(rng, batch * g.OutChannels * g.OutSpatial);
        var y = new double[r.Length];
        double Loss()
        {
            Convolution.Forward<double>(x, w, b, y, batch, g, Algorithms.Forward(g));
            return Dot(r, y);
        }
        double[] dx = new double[x.Length], dw = new double[w.Length], db = new double[b.Length];
        Convolution.Backward<double>(x, w, r, dx, dw, db, batch, g, Algorithms.Backward(g));
        CheckGradient("x " + g, x, dx, Loss);
        CheckGradient("w " + g, w, dw, Loss);
        CheckGradient("b " + g, b, db, Loss);
    }

    [Fact]
    public void Finite_difference_gradients_stride_leftover_dilation_groups()
    {
        // 2-D, 11x10 input, k3 d2 s3 with one-sided padding: stride leaves unread columns, groups 2
        var g = new ConvGeometry(4, 1, 11, 10, 6, 1, 3, 3, 1, 3, 3, 1, 3, 3, 1, 2, 2, 0, 1, 0, 2, PaddingMode.Zeros);
        var rng = new Random(5);
        double[] x = RandomArray(rng, 4 * 110), w = RandomArray(rng, 6 * 2 * 9), b = RandomArray(rng, 6), r = RandomArray(rng, 6 * 9);
        var y = new double[r.Length];
        double Loss() { Convolution.Forward<double>(x, w, b, y, 1, g, Algorithms.Forward(g)); return Dot(r, y); }
        double[] dx = new double[x.Length], dw = new double[w.Length], db = new double[b.Length];
        Convolution.Backward<double>(x, w, r, dx, dw, db, 1, g, Algorithms.Backward(g));
        CheckGradient("x", x, dx, Loss);
        CheckGradient("w", w, dw, Loss);
        CheckGradient("b", b, db, Loss);
    }

    [Fact]
    public void Two_threads_convolving_at_once_do_not_share_scratch()
    {
        // Two models used from two threads: the second caller runs its jobs alone as worker 0, and
        // must not build its column matrices in the first caller's worker-0 scratch.
        var geometries = new[]
        {
            new ConvGeometry(3, 1, 16, 16, 8, 1, 16, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, PaddingMode.Zeros),
            new ConvGeometry(4, 1, 13, 11, 6, 1, 6, 5, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 0, 0, 2, PaddingMode.Reflect),
        };
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = new System.Threading.Thread[geometries.Length];
        for (int t = 0; t < threads.Length; t++)
        {
            var g = geometries[t];
            threads[t] = new System.Threading.Thread(() =>
            {
                var rng = new Random(g.InHeight);
                int batch = 3;
                double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial), w = RandomArray(rng, WeightLength(g)), b = RandomArray(rng, g.OutChannels);
                var expected = new double[batch * g.OutChannels * g.OutSpatial];
                ConvolutionReference.Forward<double>(x, w, b, expected, batch, g);
                var y = new double[expected.Length];
                for (int i = 0; i < 200 && failures.IsEmpty; i++)
                {
                    Convolution.Forward<double>(x, w, b, y, batch, g, Algorithms.Forward(g));
                    for (int e = 0; e < y.Length; e++)
                        if (Math.Abs(y[e] - expected[e]) > 1e-9) { failures.Add($"{g}: y[{e}] = {y[e]}, expected {expected[e]} (round {i})"); break; }
                }
            });
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Empty(failures);
    }

    [Fact]
    public void Fast_convolution_allocates_nothing()
    {
        var g = new ConvGeometry(3, 1, 16, 16, 8, 1, 16, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, PaddingMode.Reflect);
        var x = new float[2 * 3 * 256]; var w = new float[8 * 27]; var b = new float[8];
        var y = new float[2 * 8 * 256];
        var dx = new float[x.Length]; var dw = new float[w.Length]; var db = new float[b.Length];
        Convolution.Forward<float>(x, w, b, y, 2, g, Algorithms.Forward(g));
        Convolution.Backward<float>(x, w, y, dx, dw, db, 2, g, Algorithms.Backward(g));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Convolution.Forward<float>(x, w, b, y, 2, g, Algorithms.Forward(g));
            Convolution.Backward<float>(x, w, y, dx, dw, db, 2, g, Algorithms.Backward(g));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
