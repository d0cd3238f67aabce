using System;
using System.Collections.Generic;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

public class PoolingTests
{
    // PyTorch's pooling output size, including its ceil-mode rule that the last window must start
    // inside the input or the left padding.
    private static int OutSize(int size, int k, int s, int p, bool ceil)
    {
        int span = size + 2 * p - k;
        int o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= size + p) o--;
        return o;
    }

    internal static PoolGeometry RandomGeometry(Random rng, int rank, bool allowPad, bool ceil, int maxIn = 8)
    {
        var inS = new int[3]; var outS = new int[3]; var k = new int[3]; var s = new int[3]; var p = new int[3];
        for (int a = 0; a < 3; a++)
        {
            if (a < 3 - rank) { inS[a] = outS[a] = k[a] = s[a] = 1; continue; }
            k[a] = rng.Next(1, 4); s[a] = rng.Next(1, 4);
            p[a] = allowPad ? rng.Next(0, k[a] / 2 + 1) : 0;
            inS[a] = rng.Next(Math.Max(1, k[a] - 2 * p[a]), maxIn + 1);
            outS[a] = OutSize(inS[a], k[a], s[a], p[a], ceil);
        }
        return new PoolGeometry(rng.Next(1, 4), inS[0], inS[1], inS[2], outS[0], outS[1], outS[2],
            k[0], k[1], k[2], s[0], s[1], s[2], p[0], p[1], p[2]);
    }

    public static IEnumerable<object[]> Cases()
    {
        for (int rank = 1; rank <= 3; rank++)
        foreach (bool pad in new[] { false, true })
        foreach (bool ceil in new[] { false, true })
            yield return new object[] { rank, pad, ceil };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Max_pool_finite_difference(int rank, bool pad, bool ceil)
    {
        var rng = new Random(rank * 4 + (pad ? 2 : 0) + (ceil ? 1 : 0));
        for (int trial = 0; trial < 4; trial++)
        {
            var g = RandomGeometry(rng, rank, pad, ceil, rank == 3 ? 5 : 9);
            int batch = 2;
            double[] x = DistinctArray(rng, batch * g.Channels * g.InSpatial);
            double[] r = RandomArray(rng, batch * g.Channels * g.OutSpatial);
            var y = new double[r.Length]; var am = new int[r.Length];
            double Loss() { Pooling.MaxForward<double>(x, y, am, batch, g); return Dot(r, y); }
            Loss();
            var dx = new double[x.Length];
            Pooling.MaxBackward<double>(r, am, dx, batch, g);
            CheckGradient("x " + g, x, dx, Loss);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Avg_pool_finite_difference(int rank, bool pad, bool ceil)
    {
        var rng = new Random(50 + rank * 4 + (pad ? 2 : 0) + (ceil ? 1 : 0));
        for (int trial = 0; trial < 4; trial++)
        {
            var g = RandomGeometry(rng, rank, pad, ceil, rank == 3 ? 5 : 9);
            int batch = 2;
            double[] x = RandomArray(rng, batch * g.Channels * g.InSpatial);
            double[] r = RandomArray(rng, batch * g.Channels * g.OutSpatial);
            var y = new double[r.Length];
            double Loss() { Pooling.AvgForward<double>(x, y, batch, g); return Dot(r, y); }
            var dx = new double[x.Length];
            Pooling.AvgBackward<double>(r, dx, batch, g);
            CheckGradient("x " + g, x, dx, Loss);
        }
    }

    [Theory]
    [InlineData(1, false, 2.0)] [InlineData(1, true, 2.0)] [InlineData(2, false, 2.0)] [InlineData(2, true, 2.0)]
    [InlineData(3, true, 2.0)] [InlineData(2, true, 3.0)] [InlineData(1, true, 1.5)]
    public void Lp_pool_finite_difference(int rank, bool ceil, double norm)
    {
        var rng = new Random(90 + rank * 2 + (ceil ? 1 : 0) + (int)(norm * 10));
        for (int trial = 0; trial < 4; trial++)
        {
            var g = RandomGeometry(rng, rank, false, ceil, rank == 3 ? 5 : 9);
            int batch = 2;
            // odd and fractional powers need positive inputs (as in PyTorch, negatives give NaN)
            double[] x = norm == 2.0 ? RandomArray(rng, batch * g.Channels * g.InSpatial) : RandomArray(rng, batch * g.Channels * g.InSpatial, 0.5, 1.5);
            double[] r = RandomArray(rng, batch * g.Channels * g.OutSpatial);
            var y = new double[r.Length];
            double Loss() { Pooling.LpForward<double>(x, y, batch, g, norm); return Dot(r, y); }
            Loss();
            var dx = new double[x.Length];
            Pooling.LpBackward<double>(x, y, r, dx, batch, g, norm);
            CheckGradient("x " + g, x, dx, Loss);
        }
    }

    [Fact]
    public void Avg_pool_divisor_counts_padding_but_not_the_ceil_overhang()
    {
        // avg_pool1d([1,2,3,4], k=3, s=2, p=1, ceil_mode=True) = [1, 3, 2] in PyTorch:
        // windows [-1,2) /3, [1,4) /3, [3,5) clipped by ceil to end min(6, 4+1)=5 → /2 over x[3] alone.
        var g = new PoolGeometry(1, 1, 1, 4, 1, 1, 3, 1, 1, 3, 1, 1, 2, 0, 0, 1);
        var y = new double[3];
        Pooling.AvgForward<double>(new double[] { 1, 2, 3, 4 }, y, 1, g);
        Assert.Equal(new double[] { 1, 3, 2 }, y);
        var dx = new double[4];
        Pooling.AvgBackward<double>(new double[] { 3, 3, 2 }, dx, 1, g);
        Assert.Equal(new double[] { 1, 2, 1, 2 }, dx);
    }

    [Fact]
    public void Lp_pool_scales_a_ceil_clipped_window_by_kernel_over_count()
    {
        // LPPool1d(2, 2, 2, ceil_mode=True) on [1,2,3]: sqrt(1+4), and the clipped last window
        // sqrt(avg(9)·2) = sqrt(18), not sqrt(9).
        var g = new PoolGeometry(1, 1, 1, 3, 1, 1, 2, 1, 1, 2, 1, 1, 2, 0, 0, 0);
        var y = new double[2];
        Pooling.LpForward<double>(new double[] { 1, 2, 3 }, y, 1, g, 2.0);
        Assert.Equal(Math.Sqrt(5), y[0], 12);
        Assert.Equal(Math.Sqrt(18), y[1], 12);
    }

    [Fact]
    public void Max_pool_ties_take_the_first_and_nan_wins()
    {
        var g = new PoolGeometry(1, 1, 1, 6, 1, 1, 3, 1, 1, 2, 1, 1, 2, 0, 0, 0);
        var y = new double[3]; var am = new int[3];
        Pooling.MaxForward<double>(new double[] { 1, double.NaN, 3, 3, double.NaN, 7 }, y, am, 1, g);
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal(3, y[1]);
        Assert.True(double.IsNaN(y[2]));
        Assert.Equal(new[] { 1, 2, 4 }, am);
    }

    [Fact]
    public void Max_pool_padding_never_wins_over_negative_inputs()
    {
        // maxpool 3 s1 p1 on all-negative input: the padded border must not produce zeros
        var g = new PoolGeometry(1, 1, 2, 2, 1, 2, 2, 1, 3, 3, 1, 1, 1, 0, 1, 1);
        var y = new double[4]; var am = new int[4];
        Pooling.MaxForward<double>(new double[] { -4, -3, -2, -1 }, y, am, 1, g);
        Assert.Equal(new double[] { -1, -1, -1, -1 }, y);
        Assert.Equal(new[] { 3, 3, 3, 3 }, am);
    }
}

public class AdaptivePoolingTests
{
    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)]
    public void Max_and_avg_finite_difference(int rank)
    {
        var rng = new Random(rank);
        for (int trial = 0; trial < 5; trial++)
        {
            int[] inS = { 1, 1, 1 }, outS = { 1, 1, 1 };
            for (int a = 3 - rank; a < 3; a++) { inS[a] = rng.Next(1, rank == 3 ? 6 : 11); outS[a] = rng.Next(1, inS[a] + 3); }
            var g = new AdaptivePoolGeometry(rng.Next(1, 3), inS[0], inS[1], inS[2], outS[0], outS[1], outS[2]);
            int batch = 2;
            double[] x = DistinctArray(rng, batch * g.Channels * g.InSpatial);
            double[] r = RandomArray(rng, batch * g.Channels * g.OutSpatial);
            var y = new double[r.Length]; var am = new int[r.Length];
            double MaxLoss() { AdaptivePooling.MaxForward<double>(x, y, am, batch, g); return Dot(r, y); }
            MaxLoss();
            var dx = new double[x.Length];
            AdaptivePooling.MaxBackward<double>(r, am, dx, batch, g);
            CheckGradient("max x " + g, x, dx, MaxLoss);

            double AvgLoss() { AdaptivePooling.AvgForward<double>(x, y, batch, g); return Dot(r, y); }
            var dxa = new double[x.Length];
            AdaptivePooling.AvgBackward<double>(r, dxa, batch, g);
            CheckGradient("avg x " + g, x, dxa, AvgLoss);
        }
    }

    [Fact]
    public void Bins_follow_pytorch_floor_and_ceil()
    {
        // 5 → 3: bins [0,2), [1,4), [3,5) (overlapping), as adaptive_avg_pool1d
        var g = new AdaptivePoolGeometry(1, 1, 1, 5, 1, 1, 3);
        var y = new double[3];
        AdaptivePooling.AvgForward<double>(new double[] { 1, 2, 3, 4, 5 }, y, 1, g);
        Assert.Equal(new double[] { 1.5, 3, 4.5 }, y);
        var am = new int[3];
        AdaptivePooling.MaxForward<double>(new double[] { 5, 1, 4, 2, 3 }, y, am, 1, g);
        Assert.Equal(new double[] { 5, 4, 3 }, y);
        Assert.Equal(new[] { 0, 2, 4 }, am);
    }
}

public class MaxoutTests
{
    [Fact]
    public void Finite_difference_and_hand_case()
    {
        var rng = new Random(11);
        int batch = 2, inChannels = 6, k = 3, spatial = 5;
        double[] x = DistinctArray(rng, batch * inChannels * spatial);
        double[] r = RandomArray(rng, batch * 2 * spatial);
        var y = new double[r.Length]; var am = new int[r.Length];
        double Loss() { Maxout.Forward<double>(x, y, am, batch, inChannels, k, spatial); return Dot(r, y); }
        Loss();
        var dx = new double[x.Length];
        Maxout.Backward<double>(r, am, dx, batch, inChannels, k, spatial);
        CheckGradient("x", x, dx, Loss);

        // 4 channels, k=2, one pixel: max(1, 3) and max(-2, -5)
        var y2 = new double[2]; var am2 = new int[2];
        Maxout.Forward<double>(new double[] { 1, 3, -2, -5 }, y2, am2, 1, 4, 2, 1);
        Assert.Equal(new double[] { 3, -2 }, y2);
        Assert.Equal(new[] { 1, 2 }, am2);
    }
}
