using System.Text.RegularExpressions;
using CnnDsl.Dsl;
using CnnDsl.Dsl.Model;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests;

/// <summary>
/// For every model in the repository, the summary's Kernel column names the kernel the generated CPU
/// code calls: the convolution algorithm it passes, the dense GEMM, a plain-loop kernel for "direct", the
/// relu epilogue for "+ relu", the pooled entry point for "+ maxpool", and no pass of its own for
/// "fused into …".
/// </summary>
public class KernelColumnTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        string root = Repository.Root();
        var folders = new[] { "examples", Path.Combine("tests", "References"), "benchmarks", Path.Combine("tests", "Integration.Tests", "Consumers") };
        foreach (string file in folders.SelectMany(f => Directory.GetFiles(Path.Combine(root, f), "*.cnn", SearchOption.AllDirectories))
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
                     .OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Fact]
    public void There_are_models_to_check() => Assert.True(Models().Count >= 40, $"{Models().Count} models");

    [Theory]
    [MemberData(nameof(Models))]
    public void The_Kernel_column_names_the_kernel_the_generated_code_calls(string model)
    {
        string path = Path.Combine(Repository.Root(), model);
        string text = File.ReadAllText(path);
        var result = CnnCompiler.Compile(path, text);
        var run = Harness.Generate(new AdditionalText[] { new CnnText(path, text) });
        run.AssertNoCrash();
        foreach (var planned in result.Networks)
        {
            string code = run.Sources.Single(s => s.HintName.EndsWith("." + planned.Network.Name + ".Compute.g.cs")).SourceText.ToString().Replace("\r\n", "\n");
            var rows = planned.Summary.Split('\n');
            var layers = planned.Network.Layers;
            foreach (var layer in layers)
            {
                // the summary's row of the layer: name, definition, shape, params, MACs, then the kernel
                string row = rows.Single(r => r.StartsWith(layer.Name + " ", StringComparison.Ordinal));
                string kernel = Regex.Split(row.Trim(), @"\s{2,}").Last();
                string where = $"{planned.Network.Name}.{layer.Name} ({kernel})";
                string p = layer.PropertyName;
                if (kernel.StartsWith("fused into ", StringComparison.Ordinal))
                {
                    Assert.DoesNotMatch($@"private void {p}Forward\w*\(", code);
                    var producer = layers.Single(l => l.Name == kernel["fused into ".Length..]);
                    string producerKernel = Regex.Split(rows.Single(r => r.StartsWith(producer.Name + " ", StringComparison.Ordinal)).Trim(), @"\s{2,}").Last();
                    Assert.True(producerKernel.Contains(layer is PoolingLayer ? "+ maxpool" : "+ relu"), $"{where}: {producer.Name} is {producerKernel}");
                    continue;
                }
                var forward = Regex.Matches(code, $@"private void {p}Forward\w*\([^)]*\)( =>)?\n(?<body>(\s+[^\n]*\n)+?)\s*\n").Select(m => m.Groups["body"].Value).ToList();
                Assert.True(forward.Count > 0, $"{where}: no forward method");
                string call = string.Join("\n", forward);
                string name = kernel.Split(" + ")[0];
                switch (layer)
                {
                    case ConvolutionLayer:
                        string algorithm = name switch
                        {
                            "direct" => "Direct", "shifted-gemm" => "ShiftedGemm", "im2col-gemm" => "Im2ColGemm", "pointwise-gemm" => "PointwiseGemm",
                            _ => throw new Xunit.Sdk.XunitException($"{where}: not a convolution's kernel"),
                        };
                        Assert.Matches(@"K\.Convolution\.Forward(MaxPooled)?<", call);
                        Assert.Contains("K.ConvolutionAlgorithm." + algorithm + ",", call.Replace(")", ","));
                        break;
                    case DenseLayer:
                        Assert.Equal("gemm", name);
                        Assert.Contains("K.Dense.Forward<", call);
                        break;
                    default:
                        Assert.Equal("direct", name);
                        Assert.Matches(@"K\.(?!Convolution\.|Dense\.)\w+\.\w+<Real>", call);
                        break;
                }
                Assert.Equal(kernel.Contains("+ relu"), call.Contains("K.Epilogue.Relu"));
                Assert.Equal(kernel.Contains("+ maxpool"), call.Contains("MaxPooled<"));
            }
        }
    }
}
