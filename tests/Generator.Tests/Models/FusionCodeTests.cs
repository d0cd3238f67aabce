using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>
/// The execution plan as the emitters write it: a relu fused into the conv or dense layer before it
/// becomes that layer's epilogue (no relu kernel, one shared slot), a conv whose output has a second
/// reader keeps a separate relu, and TrainStep's backward takes the plan's hand-offs. The numbers are
/// checked by the gradient and PyTorch tests.
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
        Assert.DoesNotContain("void Relu1Forward", code);
        // conv1 writes relu1's slot (offset 64: right after the 1x8x8 input) and reads it back for relu'
        Assert.Contains("private Tensor Relu1Out(int batch) => Train(64, 256, batch); // 4x8x8, conv1 → relu1", code);
        Assert.Contains("Conv1Forward(NetworkInputOut(batch), Relu1Out(batch), batch);", code);
        Assert.Contains("K.Convolution.Forward<Real>(x, Conv1Weight, Conv1Bias, y, batch, in Conv1Geometry, K.ConvolutionAlgorithm.Direct, K.Epilogue.Relu);", code);
        Assert.Contains("Conv1Backward(NetworkInputOut(batch), Relu1Out(batch), Relu1Gradient(batch), NetworkInputGradient(batch), batch);", code);
        Assert.Contains("K.Convolution.Backward<Real>(x, Conv1Weight, dy, dx, Conv1WeightGradient, Conv1BiasGradient, batch, in Conv1Geometry, K.ConvolutionAlgorithm.ShiftedGemm, K.Epilogue.Relu, y);", code);
        Assert.Contains("K.Dense.Forward<Real>(x, Dense1Weight, Dense1Bias, y, batch, 256, 5, K.Epilogue.Relu);", code);
        Assert.Contains("K.Dense.Backward<Real>(x, Dense1Weight, dy, dx, Dense1WeightGradient, Dense1BiasGradient, batch, 256, 5, K.Epilogue.Relu, y);", code);
        Assert.Contains("// conv1: conv 3x3x4 p1  1x8x8 -> 4x8x8  (40 parameters, 2,304 MACs/example)\n        // kernel: direct + relu (backward: shifted-gemm)", code.Replace("\r\n", "\n"));
        Assert.Contains("// relu1: relu  4x8x8 -> 4x8x8\n        // kernel: fused into conv1;", code.Replace("\r\n", "\n"));
        Assert.Contains("// relu2: fused into dense1", code);
        // input 64 + conv1/relu1 256 + flatten 256 + dense1/relu2 5 + dense2 2: no pre-activation slots
        Assert.Contains("private const int TrainingElements = 583;", code);
        // inference: the input's slot is free once conv1 has run and takes dense1's output
        Assert.Contains("private const int InferenceElements = 576;", code);
        if (precision == "float")
        {
            // TrainStep's backward computes no input gradient: conv1 gets none to write
            Assert.Contains("Conv1Backward(NetworkInputOut(batch), Relu1Out(batch), Relu1Gradient(batch), default, batch);", code);
        }
        else
        {
            Assert.DoesNotContain("BackwardForTraining", code); // float64 models have no TrainStep
        }
    }

    [Fact]
    public void First_block_batchnorm_takes_the_convolution_weight_gradient_in_TrainStep()
    {
        string code = Part("input 1x8x8\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2\nflatten -> dense 3", "Compute").Replace("\r\n", "\n");
        string training = code.Substring(code.IndexOf("private void BackwardForTraining", StringComparison.Ordinal));
        training = training.Substring(0, training.IndexOf("\n        }\n", StringComparison.Ordinal));
        Assert.Contains("Batchnorm1BackwardIntoConvolution(Conv1Out(batch), Maxpool1Out(batch), Maxpool1Gradient(batch), batch);", training);
        Assert.Contains("// conv1: its weight gradient was taken by batchnorm1's backward", training);
        Assert.DoesNotContain("Conv1Backward(", training);
        Assert.Contains("K.BatchNorm.BackwardMaxPooledIntoConvolution<Real>(x, dy, y, Maxpool1Argmax(batch), Batchnorm1Weight, Batchnorm1SavedMean, Batchnorm1SavedInvStd, Batchnorm1WeightGradient, Batchnorm1BiasGradient, batch, 4, 64, in Maxpool1Geometry, NetworkInputOut(batch), in Conv1Geometry, Conv1WeightGradient, default, K.Epilogue.Relu);", code);
        // Backward, which wants the input gradient, runs both layers' own passes
        string backward = code.Substring(code.IndexOf("private void BackwardWithInputGradient", StringComparison.Ordinal));
        Assert.Contains("Conv1Backward(NetworkInputOut(batch), Conv1Out(batch), Conv1Gradient(batch), NetworkInputGradient(batch), batch);", backward);
        // batchnorm1 writes conv1's output gradient rather than adding to it, so that range is not cleared
        Assert.Contains("// [64, 320) is written, not added to, by batchnorm1's backward", code);

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
        Assert.Contains("GpuSlot NetworkInputOut = new(0, 64);", gpu);
        Assert.Contains("GpuSlot Conv1Out = new(64, 256);", gpu);
        Assert.Contains("GpuSlot Relu1Out = new(320, 256);", gpu);
        Assert.Contains("GpuSlot Flatten1Out = new(576, 256);", gpu);
        Assert.Contains("GpuSlot Dense1Out = new(832, 2);", gpu);
        Assert.Contains("ActivationElements: 834,", gpu);
        // the relu is computed by conv1's forward kernel into its slot, and has a backward of its own
        Assert.Contains("n.Kernels.ConvForward(Conv1Geometry, batch, n.Activations(NetworkInputOut, batch), n.Parameters(Conv1Weight), n.Parameters(Conv1Bias), n.Activations(Relu1Out, batch), relu: true);", gpu);
        Assert.DoesNotContain("n.Kernels.ActivationForward(Relu1Geometry", gpu);
        Assert.Contains("n.Kernels.ActivationBackward(Relu1Geometry, batch, n.Activations(Conv1Out, batch), n.Activations(Relu1Out, batch), n.Gradients(Relu1Out, batch), n.Gradients(Conv1Out, batch));", gpu);
        Assert.Contains("if (inputGradient) n.Kernels.ConvBackwardDataGather(Conv1Geometry, batch,", gpu);
    }

    [Fact]
    public void No_fusion_when_the_conv_output_has_a_second_reader()
    {
        // the residual's identity shortcut adds conv1's output (before relu) to relu1's
        string code = Part("input 2x6x6\nconv 3x3x2 p1 -> residual { relu } -> flatten -> dense 2", "Compute");
        Assert.DoesNotContain("K.Epilogue.Relu", code);
        Assert.Contains("Relu1Forward(Conv1Out(batch), Relu1Out(batch), batch);", code);
        Assert.Contains("K.Activations.ReluForward<Real>(x, y);", code);
        Assert.Contains("Add1Forward(Relu1Out(batch), Conv1Out(batch), Add1Out(batch), batch);", code);
        Assert.Contains("K.Tensors.Add<Real>(x0, x1, y);", code);
        Assert.Contains("// kernel: direct (backward: shifted-gemm)", code); // 18 taps per filter: a tiny conv
        Assert.Contains("Relu1Backward(Conv1Out(batch), Relu1Out(batch), Relu1Gradient(batch), Conv1Gradient(batch), batch);", code);
        Assert.Contains("Add1Backward(Add1Gradient(batch), Relu1Gradient(batch), Conv1Gradient(batch), batch);", code);
    }

    [Fact]
    public void Only_relu_is_fused()
    {
        string code = Part("input 6\ndense 4 -> leakyrelu 0.1 -> dense 2", "Compute");
        Assert.DoesNotContain("K.Epilogue", code);
        Assert.Contains("K.Activations.LeakyReluForward<Real>(x, y, (Real)0.1)", code);
    }
}
