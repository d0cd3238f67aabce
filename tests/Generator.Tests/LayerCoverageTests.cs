using System.Text.RegularExpressions;
using CnnDsl.Dsl;
using CnnDsl.Dsl.Families;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Tests.Models;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests;

/// <summary>
/// Every layer kind the language has — each family's keywords and the two merges — is covered: a
/// PyTorch reference case (tests/References), a float64 gradient check (GradientCheckTests), and CPU and
/// GPU code for each of its layers. A new keyword that misses any of them fails here.
/// </summary>
public class LayerCoverageTests
{
    private static IEnumerable<string> Kinds() =>
        LayerFamilies.All.SelectMany(f => f.Keywords).Select(k => k.Name).Concat(new[] { "concat", "add" }).Distinct();

    private static IEnumerable<LayerModel> LayersOf(string text) =>
        CnnCompiler.Compile("coverage.cnn", text).Networks.SelectMany(n => n.Network.Layers);

    private static IEnumerable<string> GradientCheckBodies() =>
        GradientCheckTests.Networks().Select(row => (string)row[1]);

    [Fact]
    public void Every_layer_kind_has_a_PyTorch_reference_case()
    {
        var covered = Directory.GetFiles(Path.Combine(Repository.Root(), "tests", "References"), "*.cnn")
            .SelectMany(f => LayersOf(File.ReadAllText(f))).Select(l => l.Keyword).ToHashSet();
        var missing = Kinds().Where(k => !covered.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "no reference case for " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_layer_kind_has_a_gradient_check()
    {
        var covered = GradientCheckBodies().SelectMany(b => LayersOf("network Checked\n" + b + "\n")).Select(l => l.Keyword).ToHashSet();
        var missing = Kinds().Where(k => !covered.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "no gradient check for " + string.Join(", ", missing));
    }

    public static TheoryData<string> Networks()
    {
        var data = new TheoryData<string>();
        foreach (string body in GradientCheckBodies()) data.Add(body);
        return data;
    }

    /// <summary>Each layer of each gradient-check network gets a CPU forward and backward that call kernels
    /// (or is computed by the layer it is fused into), and GPU launches in its forward and backward.</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void Every_layer_has_CPU_and_GPU_code(string body)
    {
        string text = "network Checked\n" + body + "\n";
        var planned = CnnCompiler.Compile("/p/models/model.cnn", text).Networks.Single();
        var run = Harness.Generate(new AdditionalText[] { new CnnText("/p/models/model.cnn", text) });
        run.AssertNoCrash();
        string cpu = run.Sources.Single(s => s.HintName.EndsWith(".Compute.g.cs")).SourceText.ToString().Replace("\r\n", "\n");
        string gpu = run.Sources.Single(s => s.HintName.EndsWith(".Gpu.g.cs")).SourceText.ToString().Replace("\r\n", "\n");
        string gpuForward = Between(gpu, "void ForwardTraining(", "void ForwardInference(");
        string gpuBackward = Between(gpu, "void Backward(", "\n    }\n}");
        var layers = planned.Network.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var step = planned.Plan.Steps[i];
            string p = layer.PropertyName;
            if (step.IsFused)
            {
                Assert.Contains($"// {layer.Name}: fused into {layers[step.FusedInto].Name}", cpu);
            }
            else
            {
                foreach (string method in new[] { "Forward", "Backward" })
                {
                    var m = Regex.Match(cpu, $@"private void {p}{method}\w*\([^)]*\)( =>)?\n(?<body>(\s+[^\n]*\n)+?)\s*\n", RegexOptions.None);
                    Assert.True(m.Success, $"{layer.Name}: no CPU {method} method");
                    Assert.Contains("K.", m.Groups["body"].Value);
                }
            }
            // (a final softmax's backward runs only when it is not fused into the loss: inside `if (!fromLogits) {`)
            Assert.Matches(new Regex($@"// {Regex.Escape(layer.Name)}: [^\n]*\n(\s+(if \(!fromLogits\)|\{{)\n)*\s+(if \([^)]*\) )?n\.(Kernels\.|Dropout\()"), gpuBackward);
            if (!planned.Plan.Gpu.Steps[i].ForwardFused)
                Assert.Matches(new Regex($@"// {Regex.Escape(layer.Name)}: [^\n]*\n\s+n\.(Kernels\.|Dropout\()"), gpuForward);
        }
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static string Between(string text, string from, string to)
    {
        int start = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(start >= 0, "missing " + from);
        int end = text.IndexOf(to, start, StringComparison.Ordinal);
        return end < 0 ? text.Substring(start) : text.Substring(start, end - start);
    }
}
