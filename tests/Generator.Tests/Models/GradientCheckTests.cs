using CnnDsl.Runtime;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>
/// The generated backward pass against central finite differences, in float64 (the generator's
/// <c>CnnDslPrecision=double</c>), for every layer kind and option combination on small random shapes:
/// input gradients and every parameter's gradient of f = Σ r·y for a random r. Dropout draws a new mask
/// each forward, so the probe puts the model's random stream back before each one: every forward then
/// drops the same elements.
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<string, string> Networks() => new()
    {
        { "conv2d stride with leftover, dilation, groups", "input 4x9x10\nconv 3x3x6 s2 p1 d2 g2 -> tanh\nflatten\ndense 3" },
        { "reflect padding", "input 2x7x8\nconv 3x3x4 p2 reflect -> sigmoid -> flatten -> dense 2" },
        { "replicate padding", "input 2x7x8\nconv 3x3x4 s2 p1x2 replicate -> tanh -> flatten -> dense 2" },
        { "circular padding", "input 2x7x8\nconv 3x2x4 s2 p2 circular -> tanh -> flatten -> dense 2" },
        { "same (asymmetric) and full", "input 3x9x8\nconv 4x4x4 s2 same -> elu 0.5\nconv 3x3x2 full -> flatten -> dense 2" },
        { "conv1d", "input 3x17\nconv 3x4 s2 d2 -> leakyrelu 0.2 -> conv 4x4 same -> flatten -> dense 3" },
        { "conv3d and avgpool ceil", "input 2x5x6x7\nconv 3x3x3x4 p1 s2 -> tanh -> avgpool 2 ceil -> flatten -> dense 3" },
        { "dwconv with multiplier", "input 3x8x8\ndwconv 3x3x2 p1 -> tanh -> dwconv 3x3 s2 nobias -> flatten -> dense 3" },
        { "max and avg pooling with padding and ceil", "input 2x10x7\nmaxpool 3 s2 p1 ceil -> avgpool 2 p1 ceil -> flatten -> dense 3" },
        { "lppool", "input 3x7x7\nsigmoid -> lppool 2 norm=3 ceil -> lppool 2 norm=2 -> flatten -> dense 3" },
        { "adaptive and global pooling", "input 3x7x5\nconcat {\n  [adaptivemaxpool 3x2 -> flatten]\n  [adaptiveavgpool 2 -> flatten]\n  [globalmaxpool]\n  [globalavgpool]\n}\ndense 3" },
        { "maxout, softmax, logsoftmax", "input 4x5x5\nconv 1x1x6 -> maxout 2 -> softmax -> flatten -> dense 6 -> maxout 3 -> logsoftmax" },
        { "batchnorm in training mode", "input 3x4x4\nconv 3x3x4 p1 nobias -> batchnorm eps=1e-3 momentum=0.2 -> relu -> flatten -> dense 5 -> bn -> tanh -> dense 2" },
        { "residual with shortcut, add, concat", "input 4x8x8\nresidual {\n  conv 3x3x6 s2 p1 -> batchnorm -> tanh\n  conv 3x3x6 p1\n} shortcut {\n  conv 1x1x6 s2\n}\nadd {\n  [tanh]\n  [sigmoid]\n  []\n}\nconcat {\n  [conv 1x1x2]\n  [maxpool 3 s1 p1 -> conv 1x1x3]\n}\nglobalavgpool -> dense 3" },
        { "dense without bias, identity", "input 7\ndense 5 nobias -> identity -> elu -> dense 3" },
        { "prelu: one slope, one per channel, one per feature, on the input", "input 3x5x5\nprelu -> conv 3x3x4 p1 -> prelu c -> flatten -> dense 6 -> prelu c -> dense 2 -> prelu" },
        { "dropout in training mode (one mask for every forward)", "input 3x4x4\nconv 3x3x4 p1 -> dropout 0.4 -> relu -> flatten -> dense 6 -> tanh -> dropout -> dense 3" },
        // relu fused into the kernel before it (relu epilogue forward, relu' applied in that layer's backward)
        { "relu fused into conv, dwconv, pointwise conv and dense", "input 3x6x6\nconv 3x3x4 p1 -> relu -> dwconv 3x3 nobias -> relu -> conv 1x1x5 -> relu -> flatten -> dense 4 -> relu -> dense 2" },
        { "fused relu is the output (backward starts at it)", "input 5\ndense 4 -> relu -> dense 6 nobias -> relu" },
        // max pooling fused into the conv before it (or its relu): only the pooled output and argmax are stored
        { "max pooling fused into conv + relu, conv, and a stride-2 conv", "input 2x13x13\nconv 3x3x4 p1 -> relu -> maxpool 2 -> conv 3x3x3 p1 -> maxpool 3 s1 -> conv 2x2x3 s2 -> relu -> maxpool 2 -> flatten -> dense 3" },
        { "fused max pooling is the output", "input 2x6x6\nconv 3x3x4 p1 -> relu -> maxpool 2" },
        // batchnorm computing its relu, and its relu and max pooling (training-mode statistics)
        { "relu and max pooling fused into batchnorm", "input 2x10x10\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2 -> conv 3x3x3 p1 -> batchnorm -> maxpool 3 s1 -> conv 3x3x2 -> batchnorm -> relu -> flatten -> dense 3" },
        // a batchnorm writes its input gradient only where nothing else adds to it: here an identity
        // branch reads its input too, and a fused one (batchnorm + relu + pool) writes its own
        { "batchnorm whose input another branch reads", "input 2x6x6\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2\nadd {\n  [batchnorm -> tanh]\n  []\n}\nflatten -> dense 3" },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Backward_matches_finite_differences(string what, string body)
    {
        string text = "network Checked\n" + body + "\n";
        double worst = GeneratedModels.With(text,
            assembly => (double)assembly.GetType("GradientProbe")!.GetMethod("Run")!.Invoke(null, new object[] { 3 })!,
            precision: "double", sources: Probe);
        Assert.True(worst < 1e-5, $"{what}: worst relative error {worst:E2}");
    }

    // TrainStep skips the input gradient, so a first block "conv → batchnorm" takes the convolution's
    // weight gradient inside the batchnorm's backward; Backward (with the input gradient) runs both
    // layers' own. Both must give the same gradients: TrainStep's against Backward of the loss's
    // gradient, (softmax − one-hot)/batch.
    public static TheoryData<string, string> FirstBlocks() => new()
    {
        { "batchnorm + relu + pooling after a 3x3 conv of the input", "input 1x8x8\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2\nflatten -> dense 3" },
        { "batchnorm + relu after a biased RGB conv, odd sizes", "input 3x7x9\nconv 3x3x5 p1 -> batchnorm -> relu\nconv 3x3x2 p1 -> flatten -> dense 3" },
        { "batchnorm after a 5x5 conv without padding", "input 2x9x9\nconv 5x5x3 nobias -> batchnorm -> tanh -> flatten -> dense 3" },
        { "batchnorm after a 1-D conv", "input 2x17\nconv 3x4 p1 -> batchnorm -> relu -> flatten -> dense 3" },
    };

    [Theory]
    [MemberData(nameof(FirstBlocks))]
    public void TrainStep_gradients_match_Backward_where_batchnorm_takes_the_conv_gradient(string what, string body)
    {
        const int Batch = 5;
        var (step, backward) = GeneratedModels.WithModel("network Checked\n" + body + "\n", model =>
        {
            var rng = new Random(3);
            var x = new float[Batch * model.InputSize];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            int classes = model.OutputSize;
            int[] labels = Enumerable.Range(0, Batch).Select(i => i % classes).ToArray();
            var y = new float[Batch * classes];
            model.ForwardTraining(x, y, Batch);
            var r = new float[y.Length];
            for (int n = 0; n < Batch; n++)
            {
                var logits = y.AsSpan(n * classes, classes);
                double max = logits.ToArray().Max(), sum = logits.ToArray().Sum(v => Math.Exp(v - max));
                for (int k = 0; k < classes; k++) r[n * classes + k] = (float)((Math.Exp(logits[k] - max) / sum - (k == labels[n] ? 1 : 0)) / Batch);
            }
            model.Backward(r);
            var fromBackward = model.Parameters.Select(p => p.Gradient.ToArray()).ToList();
            // after Backward, so that its input gradients are still in the arena: a TrainStep that
            // also ran the conv's own backward would add them in again
            model.TrainStep(x, labels, Batch, new Sgd(0f));
            return (model.Parameters.Select(p => p.Gradient.ToArray()).ToList(), fromBackward);
        });
        for (int j = 0; j < step.Count; j++)
        {
            Assert.True(step[j].Any(v => v != 0), $"{what}: parameter {j} has no gradient");
            for (int i = 0; i < step[j].Length; i++)
            {
                double e = backward[j][i], a = step[j][i];
                Assert.True(Math.Abs(e - a) <= 1e-4 * Math.Max(1e-2, Math.Max(Math.Abs(e), Math.Abs(a))), $"{what}: parameter {j}[{i}]: Backward {e}, TrainStep {a}");
            }
        }
    }

    private const string Probe = """
        using System;
        using System.Linq;

        public static class GradientProbe
        {
            private static ulong s_state = 0x2545F4914F6CDD1DUL;

            private static double Next()
            {
                s_state ^= s_state << 13; s_state ^= s_state >> 7; s_state ^= s_state << 17;
                return (s_state >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
            }

            public static double Run(int batch)
            {
                var model = new Consumer.Checked(1);
                // dropout's stream, put back before every forward so that each draws the same masks
                var random = typeof(Consumer.Checked).GetField("_random", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
                object stream = random.GetValue(model)!;
                foreach (var p in model.Parameters)
                {
                    var v = p.Value;
                    bool scale = p.Name.StartsWith("batchnorm") && p.Name.EndsWith(".weight");
                    for (int i = 0; i < v.Length; i++) v[i] = (scale ? 1 : 0) + 0.5 * Next();
                }
                var x = new double[batch * model.InputSize];
                for (int i = 0; i < x.Length; i++) x[i] = Next();
                var r = new double[batch * model.OutputSize];
                for (int i = 0; i < r.Length; i++) r[i] = Next();
                var y = new double[r.Length];
                double F()
                {
                    random.SetValue(model, stream);
                    model.ForwardTraining(x, y, batch);
                    double f = 0;
                    for (int i = 0; i < y.Length; i++) f += r[i] * y[i];
                    return f;
                }
                F();
                model.Backward(r);
                var inputGradient = model.InputGradient.ToArray();
                var parameterGradients = model.Parameters.Select(p => p.Gradient.ToArray()).ToList();
                const double h = 1e-6;
                double worst = 0;
                void Compare(double analytic, double numeric) =>
                    worst = Math.Max(worst, Math.Abs(analytic - numeric) / Math.Max(1e-3, Math.Max(Math.Abs(analytic), Math.Abs(numeric))));
                int samples = Math.Min(24, x.Length);
                for (int k = 0; k < samples; k++)
                {
                    int i = (int)((long)k * x.Length / samples);
                    double old = x[i];
                    x[i] = old + h; double plus = F();
                    x[i] = old - h; double minus = F();
                    x[i] = old;
                    Compare(inputGradient[i], (plus - minus) / (2 * h));
                }
                for (int j = 0; j < model.Parameters.Count; j++)
                {
                    var p = model.Parameters[j];
                    int count = Math.Min(24, p.Length);
                    for (int k = 0; k < count; k++)
                    {
                        int i = (int)((long)k * p.Length / count);
                        double old = p.Value[i];
                        p.Value[i] = old + h; double plus = F();
                        p.Value[i] = old - h; double minus = F();
                        p.Value[i] = old;
                        Compare(parameterGradients[j][i], (plus - minus) / (2 * h));
                    }
                }
                return worst;
            }
        }
        """;
}
