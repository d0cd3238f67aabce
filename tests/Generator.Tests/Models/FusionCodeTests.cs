using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>
/// The execution plan as the CPU emitter writes it: a relu fused into the conv or dense layer before
/// it becomes that layer's epilogue (no relu kernel, one shared slot), and a conv whose output has a
/// second reader keeps a separate relu. The numbers are checked by the gradient and PyTorch tests.
/// </summary>
public class FusionCodeTests
{
    private static string Part(string cnn, string suffix, string precision = "float")
    {
        var driver = Harness.Driver(new AdditionalText[] { new CnnText("/p/model.cnn", "network Fused\n" + cnn + "\n") }, precision: precision, projectDir: "/p/")
            .RunGeneratorsAndUpdateCompilation(Harness.Compilation(), out var output, out _);
        var run = driver.GetRunResult().Results.Single();
        Assert.Null(run.Exception);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        return run.GeneratedSources.Single(s => s.HintName.EndsWith("." + suffix + ".g.cs")).SourceText.ToString();
    }

    [Theory]
    [InlineData("float")]
    [InlineData("double")]
    public void Relu_after_conv_and_dense_becomes_their_epilogue(string precision)
    {
        string code = Part("input 1x8x8\nconv 3x3x4 p1 -> relu -> flatten -> dense 5 -> relu -> dense 2", "Compute", precision);
        Assert.DoesNotContain("ReluForward", code);
        Assert.DoesNotContain("ReluBackward", code);
        Assert.DoesNotContain("void ForwardRelu1", code);
        // conv1 writes relu1's slot (offset 64: right after the 1x8x8 input) and reads it back for relu'
        Assert.Contains("K.Convolution.Forward<Real>(A(0, 0, 64, batch), P(0, 36), P(36, 4), A(64, 64, 256, batch), batch, in Conv1Geometry, K.Epilogue.Relu);", code);
        Assert.Contains("K.Convolution.Backward<Real>(A(0, 0, 64, batch), P(0, 36), G(64, 256, batch), (_computeInputGradient ? G(0, 64, batch) : global::System.Span<Real>.Empty), PG(0, 36), PG(36, 4), batch, in Conv1Geometry, K.Epilogue.Relu, A(64, 64, 256, batch));", code);
        Assert.Matches(@"K\.Dense\.Forward<Real>\(.*, batch, 256, 5, K\.Epilogue\.Relu\);", code);
        Assert.Matches(@"K\.Dense\.Backward<Real>\(.*, batch, 256, 5, K\.Epilogue\.Relu, A\(\d+, \d+, 5, batch\)\);", code);
        Assert.Contains("// conv1: conv 3x3x4 p1  1x8x8 -> 4x8x8  (40 parameters, 2,304 MACs/example)  [direct + relu]", code);
        Assert.Contains("// relu1: relu  4x8x8 -> 4x8x8  [fused into conv1]", code);
        Assert.Contains("// relu2: fused into dense1", code);
        Assert.DoesNotContain("last >= 1)", code); // relu1 has no backward of its own
        Assert.Contains("if (last >= 0) BackwardConv1(batch);", code);
        // input 64 + conv1/relu1 256 + flatten 256 + dense1/relu2 5 + dense2 2: no pre-activation slots
        Assert.Contains("private const int ActivationElements = 583;", code);
        // inference: the input's slot is free once conv1 has run and takes dense1's output
        Assert.Contains("private const int InferenceElements = 576;", code);
    }

    [Fact]
    public void First_block_batchnorm_takes_the_convolution_weight_gradient_in_TrainStep()
    {
        string code = Part("input 1x8x8\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2\nflatten -> dense 3", "Compute");
        Assert.Contains("if (!_computeInputGradient)", code);
        Assert.Contains("K.BatchNorm.BackwardMaxPooledIntoConvolution<Real>(", code);
        Assert.Contains("A(0, 0, 64, batch), in Conv1Geometry, PG(0, 36), global::System.Span<Real>.Empty, K.Epilogue.Relu);", code);
        // conv1 runs its own backward only when Backward wants the input gradient
        Assert.Contains("if (!_computeInputGradient) return;\n            K.Convolution.Backward<Real>(", code.Replace("\r\n", "\n"));

        // not for a strided conv, one of five input channels, or a conv of another layer's output
        foreach (string other in new[]
        {
            "input 1x8x8\nconv 3x3x4 s2 p1 nobias -> batchnorm -> relu\nflatten -> dense 3",
            "input 5x8x8\nconv 3x3x4 p1 nobias -> batchnorm -> relu\nflatten -> dense 3",
            "input 1x8x8\ntanh -> conv 3x3x4 p1 nobias -> batchnorm -> relu\nflatten -> dense 3",
        })
            Assert.DoesNotContain("IntoConvolution", Part(other, "Compute"));
    }

    [Fact]
    public void Gpu_part_keeps_a_slot_per_layer()
    {
        string gpu = Part("input 1x8x8\nconv 3x3x4 p1 -> relu -> flatten -> dense 2", "Gpu");
        Assert.Contains("ActivationOffsets: new int[] { 64, 320, 576, 832 },", gpu);
        Assert.Contains("ActivationElements: 834,", gpu);
    }

    [Fact]
    public void No_fusion_when_the_conv_output_has_a_second_reader()
    {
        // the residual's identity shortcut adds conv1's output (before relu) to relu1's
        string code = Part("input 2x6x6\nconv 3x3x2 p1 -> residual { relu } -> flatten -> dense 2", "Compute");
        Assert.DoesNotContain("K.Epilogue.Relu", code);
        Assert.Contains("K.Activations.ReluForward<Real>(A(72, 72, 72, batch), A(144, 0, 72, batch));", code);
        Assert.Contains("K.Tensors.Add<Real>(A(144, 0, 72, batch), A(72, 72, 72, batch), A(216, 144, 72, batch));", code);
        Assert.Contains("[direct]", code); // 18 taps per filter: a tiny conv
        Assert.Equal(2, Regex.Matches(code, @"if \(last >= [01]\) Backward(Conv1|Relu1)\(batch\);").Count);
    }

    [Fact]
    public void Only_relu_is_fused()
    {
        string code = Part("input 6\ndense 4 -> leakyrelu 0.1 -> dense 2", "Compute");
        Assert.DoesNotContain("K.Epilogue", code);
        Assert.Contains("K.Activations.LeakyReluForward<Real>", code);
    }
}
