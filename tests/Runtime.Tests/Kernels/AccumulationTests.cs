using System;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

// The runtime's layer types share these names; the tests mean the kernels.
using Dense = CnnDsl.Runtime.Kernels.Dense;
using BatchNorm = CnnDsl.Runtime.Kernels.BatchNorm;

/// <summary>
/// Backward kernels must add into their gradient outputs (the caller zeroes them once, and
/// branches such as add/concat sum their gradients). Calling a backward twice must give exactly
/// twice one call.
/// </summary>
public class AccumulationTests
{
    private static void Twice(int length, Action<double[]> backward, string what)
    {
        var once = new double[length];
        backward(once);
        var twice = new double[length];
        backward(twice);
        backward(twice);
        for (int i = 0; i < length; i++) once[i] *= 2;
        AssertClose(once, twice, 1e-15, what);
        Assert.Contains(once, v => v != 0);
    }

    [Fact]
    public void Every_backward_accumulates()
    {
        var rng = new Random(61);
        var pg = new PoolGeometry(2, 1, 5, 5, 1, 3, 3, 1, 3, 3, 1, 2, 2, 0, 1, 1);
        double[] x = DistinctArray(rng, 50), dy = RandomArray(rng, 18), y = new double[18];
        var am = new int[18];
        Pooling.MaxForward<double>(x, y, am, 1, pg);
        Twice(50, dx => Pooling.MaxBackward<double>(dy, am, dx, 1, pg), "max pool");
        Twice(50, dx => Pooling.AvgBackward<double>(dy, dx, 1, pg), "avg pool");
        var lg = pg with { PadHeight = 0, PadWidth = 0, OutHeight = 2, OutWidth = 2 };
        double[] ly = new double[8], ldy = RandomArray(rng, 8);
        Pooling.LpForward<double>(x, ly, 1, lg, 2.0);
        Twice(50, dx => Pooling.LpBackward<double>(x, ly, ldy, dx, 1, lg, 2.0), "lp pool");

        var ag = new AdaptivePoolGeometry(2, 1, 5, 5, 1, 2, 3);
        double[] ay = new double[12], ady = RandomArray(rng, 12);
        var aam = new int[12];
        AdaptivePooling.MaxForward<double>(x, ay, aam, 1, ag);
        Twice(50, dx => AdaptivePooling.MaxBackward<double>(ady, aam, dx, 1, ag), "adaptive max");
        Twice(50, dx => AdaptivePooling.AvgBackward<double>(ady, dx, 1, ag), "adaptive avg");

        double[] my = new double[25]; var mam = new int[25];
        Maxout.Forward<double>(x, my, mam, 1, 2, 2, 25);
        Twice(50, dx => Maxout.Backward<double>(RandomArray(new Random(1), 25), mam, dx, 1, 2, 2, 25), "maxout");

        double[] sy = new double[50], sdy = RandomArray(rng, 50);
        Softmax.Forward<double>(x, sy, 2, 5, 5);
        Twice(50, dx => Softmax.Backward<double>(sy, sdy, dx, 2, 5, 5), "softmax");
        LogSoftmax.Forward<double>(x, sy, 2, 5, 5);
        Twice(50, dx => LogSoftmax.Backward<double>(sy, sdy, dx, 2, 5, 5), "logsoftmax");
        Twice(50, dx => Activations.EluBackward<double>(x, sy, sdy, dx, 1.0), "elu");
        Twice(50, dx => Activations.LeakyReluBackward<double>(x, sy, sdy, dx, 0.1), "leaky relu");
        Twice(50, dx => Activations.SigmoidBackward<double>(x, sy, sdy, dx), "sigmoid");
        Twice(50, dx => Activations.TanhBackward<double>(x, sy, sdy, dx), "tanh");

        double[] gamma = { 1.5, 0.5 }, mean = new double[2], invStd = new double[2], by = new double[50];
        BatchNorm.ForwardTraining<double>(x, by, gamma, new double[2], new double[2], new double[2], mean, invStd, 1, 2, 25, 1e-5, 0.1);
        Twice(50, dx => BatchNorm.Backward<double>(x, sdy, gamma, mean, invStd, dx, new double[2], new double[2], 1, 2, 25), "batchnorm dx");
        Twice(2, dg => BatchNorm.Backward<double>(x, sdy, gamma, mean, invStd, Span<double>.Empty, dg, new double[2], 1, 2, 25), "batchnorm dgamma");
        Twice(2, db => BatchNorm.Backward<double>(x, sdy, gamma, mean, invStd, Span<double>.Empty, new double[2], db, 1, 2, 25), "batchnorm dbeta");

        double[] w = RandomArray(rng, 35), ddy = RandomArray(rng, 14);
        double[] dxs = RandomArray(rng, 10);
        Twice(10, dx => Dense.Backward<double>(dxs, w, ddy, dx, new double[35], new double[7], 2, 5, 7), "dense dx");
        Twice(35, dw => Dense.Backward<double>(dxs, w, ddy, Span<double>.Empty, dw, new double[7], 2, 5, 7), "dense dw");
        Twice(7, db => Dense.Backward<double>(dxs, w, ddy, Span<double>.Empty, new double[35], db, 2, 5, 7), "dense db");

        var mask = new double[50];
        ulong state = 3;
        Dropout.ForwardTraining<double>(x, sy, mask, 0.5, ref state);
        Twice(50, dx => Dropout.Backward<double>(sdy, mask, dx), "dropout");
        Twice(20, dx => Tensors.AccumulateChannelsFrom<double>(sdy, dx, 2, 5, 2, 1, 5), "concat backward");
    }

    [Fact]
    public void Dropout_and_add_finite_difference()
    {
        var rng = new Random(71);
        double[] x = RandomArray(rng, 30), r = RandomArray(rng, 30), y = new double[30], mask = new double[30];
        double DropLoss()
        {
            ulong state = 9; // the same mask on every evaluation
            Dropout.ForwardTraining<double>(x, y, mask, 0.3, ref state);
            return Dot(r, y);
        }
        DropLoss();
        var dx = new double[30];
        Dropout.Backward<double>(r, mask, dx);
        CheckGradient("dropout x", x, dx, DropLoss);

        double[] b = RandomArray(rng, 30);
        double AddLoss() { Tensors.Add<double>(x, b, y); return Dot(r, y); }
        double[] da = new double[30], db = new double[30];
        Tensors.Accumulate<double>(r, da);
        Tensors.Accumulate<double>(r, db);
        CheckGradient("add a", x, da, AddLoss);
        CheckGradient("add b", b, db, AddLoss);
    }
}
