using System.Globalization;
using System.Text.RegularExpressions;
using CnnDsl.Runtime.Gpu;
using Xunit.Abstractions;

namespace CnnDsl.Gpu.Tests;

/// <summary>One ILGPU CPU accelerator shared by the tests (kernels load once per device).</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public GpuDevice Device { get; } = GpuDevice.Open(GpuPreference.CpuAccelerator);

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition("cpu-accelerator")]
public sealed class CpuAcceleratorCollection : ICollectionFixture<CpuAcceleratorFixture>;

/// <summary>
/// Every layer kind through the generated GPU part on ILGPU's CPU accelerator against the generated CPU
/// code: inference outputs, loss, every parameter gradient, weights after SGD-momentum and Adam steps,
/// batchnorm running statistics — all within 1e-4 (max |cpu − gpu| / max |cpu| per tensor).
/// The networks are the PyTorch reference cases of tests/References (each a small shape).
/// </summary>
[Collection("cpu-accelerator")]
public sealed class AgreementTests(CpuAcceleratorFixture fixture, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> References()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(Harness.RepositoryRoot(), "tests", "References"), "*.cnn").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(References))]
    public void Gpu_kernels_agree_with_the_cpu_path(string reference)
    {
        string text = File.ReadAllText(Path.Combine(Harness.RepositoryRoot(), "tests", "References", reference + ".cnn"));
        string name = Regex.Match(text, @"network\s+(\w+)").Groups[1].Value;
        int batch = reference == "lenet5" ? 2 : 3;
        Check(text, name, batch, training: true);
    }

    [Fact]
    public void Dropout_is_identity_in_inference_and_trains_with_a_device_mask()
    {
        const string text = "network Drop\ninput 6\ndense 8 -> relu -> dropout 0.5\ndense 3\n";
        Check(text, "Drop", 4, training: false);
        var (compilation, _) = Harness.Generate(text, """
            using System;
            using CnnDsl.Runtime;
            using CnnDsl.Runtime.Gpu;
            public static class DropProbe
            {
                public static string Run(GpuDevice device)
                {
                    var model = new Consumer.Drop(1);
                    using var gpu = model.ToDevice(device);
                    var x = new float[4 * 6];
                    for (int i = 0; i < x.Length; i++) x[i] = 0.1f * i;
                    float first = gpu.ComputeGradients(x, new[] { 0, 1, 2, 0 }, 4);
                    float second = gpu.ComputeGradients(x, new[] { 0, 1, 2, 0 }, 4);
                    gpu.CopyGradientsTo(model);
                    double norm = 0;
                    foreach (var p in model.Parameters) foreach (float g in p.Gradient) norm += g * g;
                    return $"{first} {second} {norm}";
                }
            }
            """);
        string result = Harness.Load(compilation, a => (string)a.GetType("DropProbe")!.GetMethod("Run")!.Invoke(null, new object[] { fixture.Device })!);
        output.WriteLine(result);
        var parts = result.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.All(parts, v => Assert.True(double.IsFinite(v)));
        Assert.True(parts[2] > 0, "gradients flow through the kept units");
    }

    [Fact]
    public void Conv_and_dense_fuse_the_relu_that_follows_them()
    {
        string text = File.ReadAllText(Path.Combine(Harness.RepositoryRoot(), "tests", "References", "lenet5.cnn"));
        var (_, sources) = Harness.Generate(text);
        string gpuPart = sources.Single(s => s.HintName.EndsWith(".Gpu.g.cs")).SourceText.ToString();
        string forward = gpuPart.Substring(gpuPart.IndexOf("void ForwardTraining", StringComparison.Ordinal));
        forward = forward.Substring(0, forward.IndexOf("void ForwardInference", StringComparison.Ordinal));
        // conv1, conv2, dense1, dense2 each carry their relu; the last dense (the logits) has none
        Assert.Equal(4, Regex.Matches(forward, @"relu: true\);").Count);
        Assert.DoesNotContain("ActivationForward", forward);
        Assert.Contains("n.Kernels.ConvForward(Conv1Geometry, batch, n.Activations(NetworkInputOut, batch), n.Parameters(Conv1Weight), n.Parameters(Conv1Bias), n.Activations(Relu1Out, batch), relu: true);", forward);
        Assert.Contains("GpuGeometry Conv1Geometry = new() { C = 1, D = 1, H = 28, W = 28, F = 6", gpuPart);
        // backward runs each relu's own kernel
        Assert.Equal(4, Regex.Matches(gpuPart, @"n\.Kernels\.ActivationBackward\(Relu\dGeometry").Count);
    }

    private void Check(string text, string className, int batch, bool training)
    {
        var (compilation, _) = Harness.Generate(text, Probe.Source(className, batch, training));
        string report = Harness.Load(compilation, a => (string)a.GetType("Probe")!.GetMethod("Run")!.Invoke(null, new object[] { fixture.Device })!);
        output.WriteLine(report);
        var bad = report.Split("; ")
            .Select(item => (Item: item, Value: double.Parse(item[(item.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
            .Where(e => !(e.Value <= Tolerance))
            .ToList();
        Assert.True(bad.Count == 0, $"{className}: beyond {Tolerance}: {string.Join("; ", bad.Select(b => b.Item))}\nfull: {report}");
    }
}
