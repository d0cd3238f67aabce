using System.Globalization;
using Xunit.Abstractions;

namespace CnnDsl.Gpu.Tests;

/// <summary>
/// The GPU model behaves as the CPU model does where behaviour is not numerics: the input gradient is
/// computed on the device, dropout draws the CPU's masks for the same seed, wrong buffer sizes are
/// refused with the CPU's errors, and every member of a disposed model throws ObjectDisposedException.
/// </summary>
[Collection("cpu-accelerator")]
public sealed class ParityTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private const string Net = "network Par\ninput 2x6x6\nconv 3x3x4 p1 -> relu -> maxpool 2\nconcat {\n  [conv 1x1x2]\n  []\n}\nflatten\ndense 8 -> relu -> dropout 0.3\ndense 3\n";

    private string Run(string probe) =>
        Harness.Load(Harness.Generate(Net, probe).Output, a => (string)a.GetType("ParityProbe")!.GetMethod("Run")!.Invoke(null, new object[] { fixture.Device })!);

    private const string Common = """
        using System;
        using System.Linq;
        using CnnDsl.Runtime;
        using CnnDsl.Runtime.Gpu;
        public static class ParityProbe
        {
            static double Rel(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
            {
                if (a.Length != b.Length) return double.PositiveInfinity;
                double diff = 0, scale = 1e-6;
                for (int i = 0; i < a.Length; i++) { diff = Math.Max(diff, Math.Abs((double)a[i] - b[i])); scale = Math.Max(scale, Math.Abs((double)a[i])); }
                return diff / scale;
            }

            static float[] Data(int n, int seed)
            {
                var rng = new Random(seed);
                return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            }

        """;

    [Fact]
    public void Input_gradient_and_dropout_masks_are_the_cpu_models()
    {
        string report = Run(Common + """
                public static string Run(GpuDevice device)
                {
                    const int batch = 5;
                    var cpu = new Consumer.Par(3);
                    using var gpu = new Consumer.Par(3).ToDevice(device);
                    var x = Data(batch * cpu.InputSize, 1);
                    var dy = Data(batch * cpu.OutputSize, 2);
                    var yc = new float[batch * cpu.OutputSize];
                    var yg = new float[batch * cpu.OutputSize];
                    var r = new System.Text.StringBuilder();
                    // two training forwards: the second draws the next masks of the same stream on both
                    for (int pass = 0; pass < 2; pass++)
                    {
                        cpu.ForwardTraining(x, yc, batch);
                        gpu.ForwardTraining(x, yg, batch);
                        r.Append($"forward-training-{pass} {Rel(yc, yg):E2}; ");
                    }
                    cpu.Backward(dy);
                    gpu.Backward(dy);
                    r.Append($"input-gradient {Rel(cpu.InputGradient, gpu.InputGradient):E2}; ");
                    r.Append($"input-gradient-nonzero {(cpu.InputGradient.ToArray().Any(v => v != 0) ? 0 : 1)}; ");
                    for (int i = 0; i < cpu.Parameters.Count; i++)
                        r.Append($"d{cpu.Parameters[i].Name} {Rel(cpu.Parameters[i].Gradient, gpu.Parameters[i].Gradient):E2}; ");
                    // a TrainStep computes no input gradient on either side
                    cpu.TrainStep(x, new[] { 0, 1, 2, 0, 1 }, batch, new Sgd(0f));
                    gpu.TrainStep(x, new[] { 0, 1, 2, 0, 1 }, batch, new Sgd(0f));
                    r.Append($"after-trainstep {Rel(cpu.InputGradient, gpu.InputGradient):E2}");
                    return r.ToString();
                }
            }
            """);
        output.WriteLine(report);
        var bad = report.Split("; ").Where(item => !(double.Parse(item[(item.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) <= 1e-4)).ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad) + "\nfull: " + report);
    }

    [Fact]
    public void Wrong_buffer_sizes_are_refused_as_on_the_cpu()
    {
        string report = Run(Common + """
                static string Error(Action action)
                {
                    try { action(); return "accepted"; }
                    catch (Exception e) { return e.GetType().Name + ": " + e.Message; }
                }

                public static string Run(GpuDevice device)
                {
                    var cpu = new Consumer.Par(3);
                    using var gpu = new Consumer.Par(3).ToDevice(device);
                    int n = cpu.InputSize, k = cpu.OutputSize;
                    var cases = new (string What, Func<IModel, Action> Call)[]
                    {
                        ("one input element too many", m => () => m.TrainStep(new float[8 * n + 1], new int[8], 8, new Sgd(0.1f))),
                        ("9 labels for batch 8", m => () => m.TrainStep(new float[8 * n], new int[9], 8, new Sgd(0.1f))),
                        ("batch 4 with buffers for 8", m => () => m.Forward(new float[8 * n], new float[8 * k], 4)),
                        ("an output too short", m => () => m.ForwardTraining(new float[4 * n], new float[4 * k - 1], 4)),
                        ("a label past the classes", m => () => m.TrainStep(new float[2 * n], new[] { 0, 3 }, 2, new Sgd(0.1f))),
                        ("batch 0", m => () => m.Forward(Array.Empty<float>(), Array.Empty<float>(), 0)),
                        ("an output gradient of the wrong batch", m => () => { m.ForwardTraining(new float[4 * n], new float[4 * k], 4); m.Backward(new float[3 * k]); }),
                    };
                    var r = new System.Text.StringBuilder();
                    foreach (var (what, call) in cases)
                        r.Append(what).Append('\n').Append("  cpu ").Append(Error(call(cpu))).Append('\n').Append("  gpu ").Append(Error(call(gpu))).Append('\n');
                    var fresh = new Consumer.Par(3).ToDevice(device);
                    r.Append("backward first\n  gpu ").Append(Error(() => fresh.Backward(new float[k]))).Append('\n');
                    fresh.Dispose();
                    return r.ToString();
                }
            }
            """);
        output.WriteLine(report);
        var lines = report.TrimEnd('\n').Split('\n');
        for (int i = 0; i + 2 < lines.Length; i += 3)
        {
            string cpu = lines[i + 1].Trim()[4..], gpu = lines[i + 2].Trim()[4..];
            Assert.False(cpu == "accepted", $"{lines[i]}: the CPU model accepted it");
            Assert.Equal(cpu, gpu);
        }
        Assert.Contains("InvalidOperationException: Backward needs a training-mode forward first", lines[^1]);
    }

    [Fact]
    public void Every_member_throws_ObjectDisposedException_after_Dispose()
    {
        string report = Run(Common + """
                public static string Run(GpuDevice device)
                {
                    var gpu = new Consumer.Par(3).ToDevice(device);
                    int n = gpu.InputSize, k = gpu.OutputSize;
                    gpu.Dispose();
                    gpu.Dispose(); // idempotent
                    string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"disposed-{Guid.NewGuid():N}.ckpt");
                    var members = new (string Name, Action Use)[]
                    {
                        ("Parameters", () => _ = gpu.Parameters), ("State", () => _ = gpu.State), ("LastOutput", () => _ = gpu.LastOutput.Length),
                        ("InputGradient", () => _ = gpu.InputGradient.Length), ("Save", () => gpu.Save(path)), ("Load", () => gpu.Load(path)),
                        ("Forward", () => gpu.Forward(new float[n], new float[k], 1)), ("ForwardTraining", () => gpu.ForwardTraining(new float[2 * n], new float[2 * k], 2)),
                        ("Backward", () => gpu.Backward(new float[k])), ("TrainStep", () => gpu.TrainStep(new float[2 * n], new int[2], 2, new Sgd(0.1f))),
                        ("ComputeGradients", () => gpu.ComputeGradients(new float[2 * n], new int[2], 2)), ("Name", () => _ = gpu.Name),
                        ("InputSize", () => _ = gpu.InputSize), ("LastCorrect", () => _ = gpu.LastCorrect), ("Network", () => _ = gpu.Network),
                        ("CopyParametersTo", () => gpu.CopyParametersTo(new Consumer.Par(0))), ("CopyParametersFrom", () => gpu.CopyParametersFrom(new Consumer.Par(0))),
                        ("CopyGradientsTo", () => gpu.CopyGradientsTo(new Consumer.Par(0))),
                    };
                    var r = new System.Text.StringBuilder();
                    foreach (var (name, use) in members)
                    {
                        string outcome;
                        try { use(); outcome = "no exception"; }
                        catch (ObjectDisposedException) { outcome = "ObjectDisposedException"; }
                        catch (Exception e) { outcome = e.GetType().Name; }
                        r.Append(name).Append(' ').Append(outcome).Append('\n');
                    }
                    if (System.IO.File.Exists(path)) r.Append("Save wrote a file\n");
                    return r.ToString();
                }
            }
            """);
        output.WriteLine(report);
        var bad = report.TrimEnd('\n').Split('\n').Where(l => !l.EndsWith(" ObjectDisposedException")).ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }
}
