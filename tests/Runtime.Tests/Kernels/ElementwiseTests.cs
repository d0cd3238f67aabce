using System;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;
using CrossEntropy = CnnDsl.Runtime.Kernels.Loss;

namespace CnnDsl.Runtime.Tests.Kernels;

// The runtime's layer types share these names; the tests mean the kernels.
using Dense = CnnDsl.Runtime.Kernels.Dense;
using BatchNorm = CnnDsl.Runtime.Kernels.BatchNorm;

public class ActivationTests
{
    private delegate void ForwardFn(double[] x, double[] y);
    private delegate void BackwardFn(double[] x, double[] y, double[] dy, double[] dx);

    // Inputs kept at least 0.1 away from 0 so no perturbation crosses a kink.
    private static void Check(string name, ForwardFn forward, BackwardFn backward)
    {
        var rng = new Random(name.Length);
        double[] x = RandomArray(rng, 40, 0.1, 3);
        for (int i = 0; i < x.Length; i += 2) x[i] = -x[i];
        double[] r = RandomArray(rng, x.Length);
        var y = new double[x.Length];
        double Loss() { forward(x, y); return Dot(r, y); }
        Loss();
        var dx = new double[x.Length];
        backward(x, y, r, dx);
        CheckGradient(name, x, dx, Loss);
    }

    [Fact] public void Relu() => Check("relu", (x, y) => Activations.ReluForward<double>(x, y), (x, y, dy, dx) => Activations.ReluBackward<double>(x, y, dy, dx));
    [Fact] public void LeakyRelu() => Check("leakyrelu", (x, y) => Activations.LeakyReluForward<double>(x, y, 0.1), (x, y, dy, dx) => Activations.LeakyReluBackward<double>(x, y, dy, dx, 0.1));
    [Fact] public void Elu() => Check("elu", (x, y) => Activations.EluForward<double>(x, y, 1.3), (x, y, dy, dx) => Activations.EluBackward<double>(x, y, dy, dx, 1.3));
    [Fact] public void Sigmoid() => Check("sigmoid", (x, y) => Activations.SigmoidForward<double>(x, y), (x, y, dy, dx) => Activations.SigmoidBackward<double>(x, y, dy, dx));
    [Fact] public void Tanh() => Check("tanh", (x, y) => Activations.TanhForward<double>(x, y), (x, y, dy, dx) => Activations.TanhBackward<double>(x, y, dy, dx));

    [Fact]
    public void Kinks_follow_pytorch_and_backward_accumulates()
    {
        double[] x = { -1, 0, 2 }, y = new double[3], dx = { 10, 10, 10 };
        Activations.ReluForward<double>(x, y);
        Assert.Equal(new double[] { 0, 0, 2 }, y);
        Activations.ReluBackward<double>(x, y, new double[] { 1, 1, 1 }, dx);
        Assert.Equal(new double[] { 10, 10, 11 }, dx); // relu'(0) = 0
        var dl = new double[3];
        Activations.LeakyReluBackward<double>(x, y, new double[] { 1, 1, 1 }, dl, 0.01);
        Assert.Equal(new double[] { 0.01, 0.01, 1 }, dl);
        var s = new double[2];
        Activations.SigmoidForward<double>(new double[] { -800, 800 }, s);
        Assert.Equal(new double[] { 0, 1 }, s); // no overflow to NaN at extremes
    }
}

public class SoftmaxTests
{
    [Theory]
    [InlineData(1)] [InlineData(3)]
    public void Softmax_and_log_softmax_finite_difference(int spatial)
    {
        var rng = new Random(spatial);
        int batch = 2, channels = 5;
        double[] x = RandomArray(rng, batch * channels * spatial, -3, 3), r = RandomArray(rng, x.Length);
        var y = new double[x.Length];
        double SoftLoss() { Softmax.Forward<double>(x, y, batch, channels, spatial); return Dot(r, y); }
        SoftLoss();
        var dx = new double[x.Length];
        Softmax.Backward<double>(y, r, dx, batch, channels, spatial);
        CheckGradient("softmax", x, dx, SoftLoss);

        double LogLoss() { LogSoftmax.Forward<double>(x, y, batch, channels, spatial); return Dot(r, y); }
        LogLoss();
        var dl = new double[x.Length];
        LogSoftmax.Backward<double>(y, r, dl, batch, channels, spatial);
        CheckGradient("logsoftmax", x, dl, LogLoss);
    }

    [Fact]
    public void Stable_for_huge_logits_and_strided_over_channels()
    {
        // 1 example, 2 channels, 2 positions: position 0 has logits (1000, 1000), position 1 (0, ln 3)
        double[] x = { 1000, 0, 1000, Math.Log(3) };
        var y = new double[4];
        Softmax.Forward<double>(x, y, 1, 2, 2);
        Assert.Equal(0.5, y[0], 12); Assert.Equal(0.5, y[2], 12);
        Assert.Equal(0.25, y[1], 12); Assert.Equal(0.75, y[3], 12);
        LogSoftmax.Forward<double>(x, y, 1, 2, 2);
        Assert.Equal(Math.Log(0.5), y[0], 12);
        Assert.Equal(Math.Log(0.75), y[3], 12);
    }
}

public class BatchNormTests
{
    [Theory]
    [InlineData(4, 3, 1)] [InlineData(2, 3, 5)]
    public void Training_mode_finite_difference_for_input_gamma_beta(int batch, int channels, int spatial)
    {
        var rng = new Random(batch * 10 + spatial);
        int len = batch * channels * spatial;
        double[] x = RandomArray(rng, len, -2, 2), gamma = RandomArray(rng, channels, 0.5, 1.5), beta = RandomArray(rng, channels);
        double[] r = RandomArray(rng, len);
        var y = new double[len];
        double[] rm = new double[channels], rv = new double[channels], mean = new double[channels], invStd = new double[channels];
        double Loss()
        {
            BatchNorm.ForwardTraining<double>(x, y, gamma, beta, rm, rv, mean, invStd, batch, channels, spatial, 1e-5, 0.1);
            return Dot(r, y);
        }
        Loss();
        double[] dx = new double[len], dg = new double[channels], db = new double[channels];
        BatchNorm.Backward<double>(x, r, gamma, mean, invStd, dx, dg, db, batch, channels, spatial);
        CheckGradient("x", x, dx, Loss);
        CheckGradient("gamma", gamma, dg, Loss);
        CheckGradient("beta", beta, db, Loss);
    }

    [Fact]
    public void Running_statistics_use_unbiased_variance_and_inference_uses_them()
    {
        // one channel, values 1 2 3 4: mean 2.5, biased var 1.25, unbiased 5/3
        double[] x = { 1, 2, 3, 4 }, y = new double[4];
        double[] rm = { 0 }, rv = { 1 }, mean = new double[1], invStd = new double[1];
        BatchNorm.ForwardTraining<double>(x, y, new double[] { 1 }, new double[] { 0 }, rm, rv, mean, invStd, 2, 1, 2, 0, 0.1);
        Assert.Equal(2.5, mean[0], 12);
        Assert.Equal(1 / Math.Sqrt(1.25), invStd[0], 12);
        Assert.Equal(0.25, rm[0], 12);
        Assert.Equal(0.9 + 0.1 * 5.0 / 3.0, rv[0], 12);
        Assert.Equal(-1.5 / Math.Sqrt(1.25), y[0], 12);

        BatchNorm.ForwardInference<double>(x, y, new double[] { 2 }, new double[] { 1 }, new double[] { 1 }, new double[] { 4 }, 2, 1, 2, 0);
        // (x − 1)/sqrt(4)·2 + 1 = x
        Assert.Equal(new double[] { 1, 2, 3, 4 }, y);
    }
}

public class DenseTests
{
    [Fact]
    public void Finite_difference_and_float_matches_double()
    {
        var rng = new Random(21);
        int batch = 3, inF = 13, outF = 7;
        double[] x = RandomArray(rng, batch * inF), w = RandomArray(rng, outF * inF), b = RandomArray(rng, outF), r = RandomArray(rng, batch * outF);
        var y = new double[r.Length];
        double Loss() { Dense.Forward<double>(x, w, b, y, batch, inF, outF); return Dot(r, y); }
        Loss();
        double[] dx = new double[x.Length], dw = new double[w.Length], db = new double[b.Length];
        Dense.Backward<double>(x, w, r, dx, dw, db, batch, inF, outF);
        CheckGradient("x", x, dx, Loss);
        CheckGradient("w", w, dw, Loss);
        CheckGradient("b", b, db, Loss);

        var yf = new float[y.Length];
        Dense.Forward<float>(ToFloat(x), ToFloat(w), ToFloat(b), yf, batch, inF, outF);
        AssertClose(ToFloat(y), yf, 1e-5, "float y");
    }

    [Fact]
    public void Hand_case_without_bias()
    {
        // x = [1 2], W = [[1 0], [1 1], [0 -1]] → y = [1, 3, -2]
        var y = new double[3];
        Dense.Forward<double>(new double[] { 1, 2 }, new double[] { 1, 0, 1, 1, 0, -1 }, ReadOnlySpan<double>.Empty, y, 1, 2, 3);
        Assert.Equal(new double[] { 1, 3, -2 }, y);
    }

    [Fact]
    public void Dense_allocates_nothing()
    {
        int batch = 8, inF = 100, outF = 37;
        var x = new float[batch * inF]; var w = new float[outF * inF]; var b = new float[outF]; var y = new float[batch * outF];
        var dx = new float[x.Length]; var dw = new float[w.Length]; var db = new float[b.Length];
        Dense.Forward<float>(x, w, b, y, batch, inF, outF);
        Dense.Backward<float>(x, w, y, dx, dw, db, batch, inF, outF);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Dense.Forward<float>(x, w, b, y, batch, inF, outF);
            Dense.Backward<float>(x, w, y, dx, dw, db, batch, inF, outF);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

public class TensorsTests
{
    [Fact]
    public void Concat_copy_and_its_adjoint_finite_difference()
    {
        var rng = new Random(31);
        int batch = 2, spatial = 3, dstChannels = 5, srcChannels = 2, offset = 2;
        double[] a = RandomArray(rng, batch * srcChannels * spatial), r = RandomArray(rng, batch * dstChannels * spatial);
        var y = new double[r.Length];
        double Loss() { Tensors.CopyChannelsInto<double>(a, y, batch, srcChannels, dstChannels, offset, spatial); return Dot(r, y); }
        var da = new double[a.Length];
        Tensors.AccumulateChannelsFrom<double>(r, da, batch, dstChannels, srcChannels, offset, spatial);
        CheckGradient("a", a, da, Loss);

        // the copy lands in channels 2..3 of each example and leaves the others alone
        var z = new double[r.Length];
        Tensors.CopyChannelsInto<double>(new double[] { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4 }, z, 2, 2, 5, 2, 3);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 4, 4, 4, 0, 0, 0 }, z);
    }

    [Fact]
    public void Add_accumulate_copy_zero()
    {
        double[] a = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, b = { 9, 8, 7, 6, 5, 4, 3, 2, 1 }, y = new double[9];
        Tensors.Add<double>(a, b, y);
        Assert.All(y, v => Assert.Equal(10, v));
        Tensors.Accumulate<double>(a, y);
        Assert.Equal(new double[] { 11, 12, 13, 14, 15, 16, 17, 18, 19 }, y);
        Tensors.Copy<double>(b, y);
        Assert.Equal(b, y);
        Tensors.Zero<double>(y);
        Assert.All(y, v => Assert.Equal(0, v));
    }
}

public class LossTests
{
    [Fact]
    public void Softmax_cross_entropy_value_and_finite_difference()
    {
        var rng = new Random(41);
        int batch = 3, classes = 4;
        double[] z = RandomArray(rng, batch * classes, -2, 2);
        int[] labels = { 2, 0, 3 };
        var grad = new double[z.Length];
        var scratch = new double[z.Length];
        double Loss() => CrossEntropy.SoftmaxCrossEntropy<double>(z, labels, scratch, batch, classes);
        double loss = CrossEntropy.SoftmaxCrossEntropy<double>(z, labels, grad, batch, classes);
        CheckGradient("logits", z, grad, Loss);

        // by hand: mean of logsumexp − z[label]
        double expected = 0;
        for (int n = 0; n < batch; n++)
        {
            double s = 0;
            for (int k = 0; k < classes; k++) s += Math.Exp(z[n * classes + k]);
            expected += Math.Log(s) - z[n * classes + labels[n]];
        }
        Assert.Equal(expected / batch, loss, 12);
    }

    [Fact]
    public void Bad_label_throws_before_writing_and_names_example_label_and_classes()
    {
        double[] z = new double[6];
        double[] grad = { 7, 7, 7, 7, 7, 7 };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.SoftmaxCrossEntropy<double>(z, new[] { 1, 3 }, grad, 2, 3));
        Assert.Contains("example 1", ex.Message);
        Assert.Contains("Label 3", ex.Message);
        Assert.Contains("3 classes", ex.Message);
        Assert.All(grad, v => Assert.Equal(7, v));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            CrossEntropy.SoftmaxCrossEntropy<double>(z, new[] { -1, 0 }, grad, 2, 3));
    }

    [Fact]
    public void Count_correct_uses_the_first_maximum()
    {
        double[] z = { 0, 5, 1, /**/ 2, 2, 0, /**/ 9, 0, 0 };
        Assert.Equal(2, CrossEntropy.CountCorrect<double>(z, new[] { 1, 0, 1 }, 3, 3));
    }
}

[Collection(nameof(KernelSettings))]
public class DropoutAndRandomTests
{
    [Fact]
    public void SplitMix64_is_the_published_sequence()
    {
        // reference values of SplitMix64 from seed 0
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, DeterministicRandom.NextUInt64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, DeterministicRandom.NextUInt64(ref state));
        for (int i = 0; i < 1000; i++)
        {
            float f = DeterministicRandom.NextFloat(ref state);
            Assert.InRange(f, 0f, 0.99999995f);
            double u = DeterministicRandom.NextUniform(ref state, -2.0, 3.0);
            Assert.InRange(u, -2.0, 3.0);
        }
    }

    [Fact]
    public void Mask_values_rate_and_backward()
    {
        ulong state = 42;
        int n = 20000;
        var x = new double[n]; x.AsSpan().Fill(2);
        var y = new double[n]; var mask = new double[n];
        Dropout.ForwardTraining<double>(x, y, mask, 0.25, ref state);
        int dropped = 0;
        for (int i = 0; i < n; i++)
        {
            Assert.True(mask[i] == 0 || mask[i] == 1 / 0.75);
            Assert.Equal(x[i] * mask[i], y[i]);
            if (mask[i] == 0) dropped++;
        }
        Assert.InRange(dropped / (double)n, 0.23, 0.27);

        var dx = new double[n]; dx.AsSpan().Fill(1);
        Dropout.Backward<double>(x, mask, dx);
        for (int i = 0; i < n; i++) Assert.Equal(1 + 2 * mask[i], dx[i]);

        // the same seed gives the same mask; rate 1 drops everything without dividing by zero
        ulong again = 42;
        var mask2 = new double[n];
        Dropout.ForwardTraining<double>(x, y, mask2, 0.25, ref again);
        Assert.Equal(mask, mask2);
        Dropout.ForwardTraining<double>(x, y, mask2, 1.0, ref again);
        Assert.All(y, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.3)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    public void Each_element_is_dropped_when_its_draw_is_below_the_rate_in_float_and_double(double rate)
    {
        // 5003 elements: whole vectors of eight draws and a tail; every SIMD width draws the same masks
        int n = 5003;
        try
        {
            foreach (SimdWidth width in Enum.GetValues<SimdWidth>())
            {
                Simd.Override = width;
                ulong state = 99, reference = 99, single = 99;
                var x = new double[n];
                var xf = new float[n];
                for (int i = 0; i < n; i++) xf[i] = (float)(x[i] = 1 + i % 7);
                var y = new double[n]; var mask = new double[n];
                Dropout.ForwardTraining<double>(x, y, mask, rate, ref state);
                var yf = new float[n]; var maskf = new float[n];
                Dropout.ForwardTraining<float>(xf, yf, maskf, (float)rate, ref single);
                float keep = rate < 1 ? 1 / (1 - (float)rate) : 0;
                for (int i = 0; i < n; i++)
                {
                    bool dropped = DeterministicRandom.NextDouble(ref reference) < rate;
                    Assert.Equal(dropped, mask[i] == 0);
                    Assert.Equal(dropped ? 0 : keep, maskf[i]);
                    Assert.Equal(xf[i] * maskf[i], yf[i]);
                }
                // the state moved on by one draw per element
                Assert.Equal(reference, state);
                Assert.Equal(reference, single);
            }
        }
        finally
        {
            Simd.Override = null;
        }
    }

    [Fact]
    public void Dropout_refuses_an_output_or_mask_shorter_than_its_input()
    {
        ulong state = 1;
        var e = Assert.Throws<ArgumentException>(() => Dropout.ForwardTraining<float>(new float[8], new float[8], new float[7], 0.5f, ref state));
        Assert.Contains("mask of 7", e.Message);
    }

    [Fact]
    public void Initializers_respect_bounds_and_are_reproducible()
    {
        ulong s1 = 7, s2 = 7;
        var a = new float[1000]; var b = new float[1000];
        Initializers.HeUniform<float>(a, 24, ref s1);
        Initializers.HeUniform<float>(b, 24, ref s2);
        Assert.Equal(a, b);
        float bound = MathF.Sqrt(6f / 24);
        Assert.All(a, v => Assert.InRange(v, -bound, bound));
        Assert.Contains(a, v => v > bound * 0.9f);
        Initializers.GlorotUniform<float>(a, 10, 20, ref s1);
        float gb = MathF.Sqrt(6f / 30);
        Assert.All(a, v => Assert.InRange(v, -gb, gb));
        Initializers.Fill<float>(a, 0.5f);
        Assert.All(a, v => Assert.Equal(0.5f, v));
    }
}
