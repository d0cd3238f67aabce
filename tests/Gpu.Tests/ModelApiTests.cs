using CnnDsl.Runtime.Gpu;
using Xunit.Abstractions;

namespace CnnDsl.Gpu.Tests;

/// <summary>
/// The generated <c>Gpu</c> class is an <c>IModel</c>: the runtime's Trainer and Evaluator drive it
/// unchanged (what the Fashion-MNIST example's <c>--device gpu</c> needs), with the same losses and
/// accuracies as the CPU model; ForwardTraining/Backward, Save/Load and Parameters work through it.
/// </summary>
[Collection("cpu-accelerator")]
public sealed class ModelApiTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private const string Tiny = "network Tiny\ninput 1x6x6\nconv 3x3x4 p1 -> relu -> maxpool 2\nflatten\ndense 8 -> relu\ndense 3\n";

    [Fact]
    public void Trainer_and_evaluator_drive_the_gpu_model_like_the_cpu_model()
    {
        var (compilation, _) = Harness.Generate(Tiny, """
            using System;
            using System.IO;
            using System.Linq;
            using CnnDsl.Runtime;
            using CnnDsl.Runtime.Gpu;
            public static class ApiProbe
            {
                static double Rel(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
                {
                    double diff = 0, scale = 1e-6;
                    for (int i = 0; i < a.Length; i++) { diff = Math.Max(diff, Math.Abs((double)a[i] - b[i])); scale = Math.Max(scale, Math.Abs((double)a[i])); }
                    return diff / scale;
                }

                public static string Run(GpuDevice device)
                {
                    var rng = new Random(5);
                    var images = Enumerable.Range(0, 30 * 36).Select(_ => (float)rng.NextDouble()).ToArray();
                    var labels = Enumerable.Range(0, 30).Select(i => i % 3).ToArray();
                    var data = new Dataset(images, labels, 1, 6, 6, 3);
                    var cpu = new Consumer.Tiny(2);
                    using var gpu = new Consumer.Tiny(2).ToDevice(device);
                    IModel model = gpu;
                    var rc = new Trainer(cpu, new Sgd(0.05f, momentum: 0.9f)) { Progress = ProgressMode.Silent }.Fit(new DataLoader(data, 8, seed: 1), data, 2);
                    var rg = new Trainer(model, new Sgd(0.05f, momentum: 0.9f)) { Progress = ProgressMode.Silent }.Fit(new DataLoader(data, 8, seed: 1), data, 2);
                    var report = new System.Text.StringBuilder();
                    for (int e = 0; e < 2; e++)
                        report.Append($"epoch{e}-loss {Math.Abs(rc[e].TrainLoss - rg[e].TrainLoss) / rc[e].TrainLoss:E2}; epoch{e}-trainacc {Math.Abs(rc[e].TrainAccuracy - rg[e].TrainAccuracy):E2}; epoch{e}-testacc {Math.Abs(rc[e].TestAccuracy!.Value - rg[e].TestAccuracy!.Value):E2}; ");

                    // ForwardTraining + Backward through IModel, gradients read through Parameters
                    var x = images.AsSpan(0, 4 * 36).ToArray();
                    var yc = new float[4 * 3]; var yg = new float[4 * 3];
                    cpu.ForwardTraining(x, yc, 4); model.ForwardTraining(x, yg, 4);
                    var dy = Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i)).ToArray();
                    cpu.Backward(dy); model.Backward(dy);
                    report.Append($"forward-training {Rel(yc, yg):E2}; ");
                    for (int i = 0; i < cpu.Parameters.Count; i++)
                        report.Append($"backward-d{cpu.Parameters[i].Name} {Rel(cpu.Parameters[i].Gradient, model.Parameters[i].Gradient):E2}; ");
                    report.Append($"lastoutput {Rel(yc, model.LastOutput):E2}; ");

                    // checkpoint through the GPU model, loaded into a fresh CPU model
                    string path = Path.Combine(Path.GetTempPath(), $"gpu-{Guid.NewGuid():N}.ckpt");
                    model.Save(path);
                    var loaded = new Consumer.Tiny(99);
                    loaded.Load(path);
                    File.Delete(path);
                    for (int i = 0; i < cpu.Parameters.Count; i++)
                        report.Append($"saved-{cpu.Parameters[i].Name} {Rel(cpu.Parameters[i].Value, loaded.Parameters[i].Value):E2}; ");
                    var eval = Evaluator.Evaluate(model, data, 7);
                    report.Append($"evaluator {Math.Abs(eval.Accuracy - Evaluator.Evaluate(cpu, data, 7).Accuracy):E2}");
                    return report.ToString();
                }
            }
            """);
        string report = Harness.Load(compilation, a => (string)a.GetType("ApiProbe")!.GetMethod("Run")!.Invoke(null, new object[] { fixture.Device })!);
        output.WriteLine(report);
        var bad = report.Split("; ").Where(item => !(double.Parse(item[(item.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) <= 1e-4)).ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad) + "\nfull: " + report);
    }
}
