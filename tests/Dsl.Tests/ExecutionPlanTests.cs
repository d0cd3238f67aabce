using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Planning;

namespace CnnDsl.Dsl.Tests;

/// <summary>The execution plan made after checking: kernel choice, fusions, and the notes on what it declined.</summary>
public class ExecutionPlanTests
{
    private static string[] Plans(PlannedNetwork n) => n.Plan.Steps.Select(s => s.Description).ToArray();

    private static PlannedNetwork Net(string input, string body) => T.PlannedNet(input, body);

    [Theory]
    [InlineData("conv 1x1x8", "pointwise-gemm")]
    [InlineData("conv 1x1x8 g2", "pointwise-gemm")]
    [InlineData("conv 1x1x8 d2", "pointwise-gemm")] // one tap: dilation changes nothing
    [InlineData("dwconv 1x1x2", "pointwise-gemm")]
    [InlineData("conv 1x1x8 s2", "direct")] // strided: shifted views of the stride phases, 4 taps
    [InlineData("conv 1x1x8 p1", "direct")] // 4 taps per filter: tiny
    [InlineData("conv 1x1x8 pad=0x1", "direct")]
    [InlineData("conv 2x2x8 p1", "direct")] // 16 taps
    [InlineData("conv 2x2x8 p1 g2", "shifted-gemm")] // groups: not direct
    [InlineData("conv 3x3x8", "shifted-gemm")]
    [InlineData("conv 3x3x8 p1", "shifted-gemm")]
    [InlineData("conv 3x3x8 p1 d2", "shifted-gemm")]
    [InlineData("dwconv 3x3", "shifted-gemm")]
    [InlineData("conv 3x3x8 s2 p1", "shifted-gemm")]
    [InlineData("conv 3x3x8 s2 p1 reflect", "im2col-gemm")]
    [InlineData("conv 3x3x8 p1 reflect", "im2col-gemm")]
    [InlineData("conv 2x1x8 s1x2", "direct")]
    public void Conv_strategy_follows_the_runtime_pointwise_and_shifted_rules(string conv, string expected)
    {
        var n = Net("4x6x6", conv);
        Assert.Equal(expected, n.Plan.Steps[0].Description);
        Assert.False(n.Plan.Steps[0].HasRelu);
    }

    [Fact]
    public void Pointwise_and_shifted_rules_hold_in_1d_and_3d()
    {
        Assert.Equal(CpuKernel.PointwiseGemm, Net("4x9", "conv 1x8").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.PointwiseGemm, Net("4x3x5x5", "conv 1x1x1x8").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.ShiftedGemm, Net("4x3x5x5", "conv 1x1x3x8").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.ShiftedGemm, Net("4x3x5x5", "conv 1x1x3x8 s1x1x2").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.Im2ColGemm, Net("4x3x5x5", "conv 1x1x3x8 s1x1x2 p1 reflect").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.DirectConvolution, Net("4x9", "conv 3x8 p1").Plan.Steps[0].Kernel);
        Assert.Equal(CpuKernel.ShiftedGemm, Net("12x9", "conv 3x8 p1").Plan.Steps[0].Kernel);
        // 3-D: direct only where the kernel and the output have depth 1
        Assert.Equal(CpuKernel.DirectConvolution, Net("3x1x5x5", "conv 1x3x3x8 p=0x1x1").Plan.Steps[0].Kernel);
    }

    [Fact]
    public void Dense_is_gemm_and_everything_else_direct()
    {
        var n = Net("2x8x8", "maxpool 2 -> batchnorm -> tanh -> flatten -> dropout 0.5 -> dense 10 -> softmax");
        Assert.Equal(new[] { "direct", "direct", "direct", "direct", "direct", "gemm", "direct" }, Plans(n));
        Assert.Equal(CpuKernel.Gemm, n.Plan.Steps[5].Kernel);
    }

    [Fact]
    public void Relu_after_conv_dwconv_and_dense_is_fused_into_it()
    {
        var n = Net("1x8x8", "conv 3x3x4 -> relu -> dwconv 3x3 -> relu -> flatten -> dense 10 -> relu -> dense 3");
        Assert.Equal(new[]
        {
            "direct + relu", "fused into conv1",
            "shifted-gemm + relu", "fused into dwconv1",
            "direct",
            "gemm + relu", "fused into dense1",
            "gemm",
        }, Plans(n));
        var conv = n.Plan.Steps[0];
        Assert.Equal(1, conv.ReluLayer);
        Assert.Equal(1, conv.Writes);
        Assert.Equal(-1, conv.FusedInto);
        var relu = n.Plan.Steps[1];
        Assert.Equal(CpuKernel.Fused, relu.Kernel);
        Assert.True(relu.IsFused);
        Assert.Equal(0, relu.FusedInto);
        Assert.Equal(-1, relu.ReluLayer);
    }

    [Fact]
    public void Pointwise_conv_keeps_its_strategy_when_fused()
    {
        var n = Net("4x6x6", "conv 1x1x8 -> relu");
        Assert.Equal(new[] { "pointwise-gemm + relu", "fused into conv1" }, Plans(n));
    }

    [Fact]
    public void A_relu_that_is_the_output_is_still_fused()
    {
        // the relu's own slot holds the output; only the producer's pre-activation goes unstored
        var n = Net("10", "dense 4 -> relu");
        Assert.Equal(new[] { "gemm + relu", "fused into dense1" }, Plans(n));
    }

    [Fact]
    public void No_fusion_when_the_conv_output_has_a_second_reader()
    {
        // the residual's identity shortcut reads conv1's output too: the pre-activation must be stored
        var residual = Net("4x6x6", "conv 3x3x4 p1 -> residual { relu }");
        Assert.Equal(new[] { "shifted-gemm", "direct", "direct" }, Plans(residual));
        Assert.Equal(new[] { 1, 0 }, residual.Network.Layers[2].Inputs.ToArray());

        var concat = Net("4x6x6", "conv 3x3x4 p1 -> concat { [relu] [] }");
        Assert.Equal(new[] { "shifted-gemm", "direct", "direct" }, Plans(concat));

        var dense = Net("10", "dense 4 -> add { [relu] [tanh] }");
        Assert.Equal("gemm", dense.Plan.Steps[0].Description);
        Assert.All(dense.Plan.Steps, s => Assert.False(s.IsFused));
    }

    [Theory]
    [InlineData("leakyrelu")]
    [InlineData("elu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void Only_relu_is_fused(string activation)
    {
        var n = Net("1x8x8", $"conv 3x3x4 -> {activation}");
        Assert.Equal(new[] { "direct", "direct" }, Plans(n));
    }

    [Fact]
    public void No_fusion_across_another_layer_or_into_the_output()
    {
        // the conv's relu would have to cross the batchnorm; the batchnorm computes it instead
        Assert.Equal(new[] { "shifted-gemm", "direct + relu", "fused into batchnorm1" }, Plans(Net("4x8x8", "conv 3x3x4 -> batchnorm -> relu")));
        // the last layer is the output (or the loss's logits before a final softmax): it keeps its own slot
        Assert.Equal(new[] { "gemm", "gemm" }, Plans(Net("10", "dense 4 -> dense 3")));
        Assert.Equal(new[] { "gemm", "direct" }, Plans(Net("10", "dense 3 -> softmax")));
    }

    [Fact]
    public void Max_pooling_after_a_conv_or_its_relu_is_fused_into_the_conv()
    {
        var n = Net("1x12x12", "conv 3x3x4 p1 -> relu -> maxpool 2 -> conv 3x3x4 s2 p1 -> maxpool 3 s1 -> flatten -> dense 3");
        Assert.Equal(new[]
        {
            "direct + relu + maxpool", "fused into conv1", "fused into conv1",
            "shifted-gemm + maxpool", "fused into conv2",
            "direct", "gemm",
        }, Plans(n));
        Assert.Equal(2, n.Plan.Steps[0].PoolLayer);
        Assert.Equal(2, n.Plan.Steps[0].Writes);
        Assert.Equal(2, n.Plan.Steps[1].Writes); // the relu's tensor is never stored: the chain writes the pooled one
        Assert.Equal(0, n.Plan.Steps[2].FusedInto);
        Assert.Equal(CpuKernel.Fused, n.Plan.Steps[2].Kernel);
        Assert.Equal(4, n.Plan.Steps[3].PoolLayer);
        Assert.False(n.Plan.Steps[5].HasPool);
        Assert.Equal(-1, n.Plan.Training.OffsetOf(0)); // conv1's and relu1's outputs have no slot
        Assert.Equal(-1, n.Plan.Training.OffsetOf(1));
        Assert.Equal(144, n.Plan.Training.OffsetOf(2));
    }

    [Fact]
    public void Batchnorm_computes_the_relu_and_max_pooling_after_it()
    {
        var n = Net("1x8x8", "conv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2 -> conv 3x3x4 p1 -> batchnorm -> maxpool 2 -> flatten -> dense 2");
        Assert.Equal(new[]
        {
            "direct", "direct + relu + maxpool", "fused into batchnorm1", "fused into batchnorm1",
            "shifted-gemm", "direct + maxpool", "fused into batchnorm2",
            "direct", "gemm",
        }, Plans(n));
        Assert.Equal(3, n.Plan.Steps[1].PoolLayer);
        Assert.Equal(2, n.Plan.Steps[1].ReluLayer);
    }

    [Theory]
    [InlineData("conv 3x3x4 p1 -> maxpool 2 p1", "padding")]
    [InlineData("conv 3x3x4 -> maxpool 2 ceil", "a ceil-mode window past the edge (7 rows)")]
    [InlineData("conv 3x3x4 -> avgpool 2", "average pooling")]
    [InlineData("dwconv 3x3 -> maxpool 2", "a depthwise conv")]
    [InlineData("conv 3x3x4 p1 -> tanh -> maxpool 2", "another activation between")]
    [InlineData("conv 3x3x4 p1 -> concat { [maxpool 2] [avgpool 2] }", "a second reader")]
    public void Max_pooling_is_not_fused_where_the_kernel_could_not(string layers, string why)
    {
        var n = Net("4x9x9", layers + " -> flatten -> dense 2");
        Assert.True(n.Plan.Steps.All(s => !s.HasPool), why);
        Assert.DoesNotContain(n.Network.Layers, l => l is PoolingLayer { Function: PoolFunction.Max } && n.Plan.Steps[l.Index].IsFused);
    }

    [Fact]
    public void A_max_pooling_that_is_the_output_is_still_fused()
    {
        var n = Net("1x8x8", "conv 3x3x4 p1 -> relu -> maxpool 2");
        Assert.Equal(new[] { "direct + relu + maxpool", "fused into conv1", "fused into conv1" }, Plans(n));
    }

    [Fact]
    public void Summary_has_a_kernel_column()
    {
        var n = T.CompileExample("lenet5.cnn").Networks.Single();
        var lines = n.Summary.Split('\n');
        Assert.Matches(@"^Layer\s+Definition\s+Output shape\s+Param #\s+MACs\s+Kernel$", lines[2]);
        Assert.Matches(@"^input\s+input 1x28x28\s+1x28x28$", lines[4]); // no kernel, no trailing blanks
        Assert.Matches(@"^conv1\s+conv 5x5x6 p2\s+6x28x28\s+156\s+117,600\s+direct \+ relu \+ maxpool$", lines[5]);
        Assert.Matches(@"^relu1\s+relu\s+6x28x28\s+fused into conv1$", lines[6]);
        Assert.Matches(@"^maxpool1\s+maxpool 2\s+6x14x14\s+fused into conv1$", lines[7]);
        Assert.Matches(@"^dense3\s+dense 10\s+10\s+850\s+840\s+gemm$", lines[16]);
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
    }

    [Fact]
    public void Plans_compare_by_value()
    {
        var fused = Net("10", "dense 4 -> relu");
        var again = Net("10", "dense 4 -> relu");
        Assert.Equal(fused.Plan, again.Plan);
        Assert.Equal(fused, again);
        Assert.NotEqual(fused.Plan, fused.Plan with { Steps = fused.Plan.Steps.Select(s => s with { ReluLayer = -1 }).ToEquatableArray() });
    }

    [Theory]
    [InlineData("4x8x8", "conv 3x3x4 p1 reflect -> flatten -> dense 2", 0, "conv1 runs as im2col-gemm (an unfolded column matrix per example): reflect padding has no shifted-view kernel")]
    [InlineData("1024x4x4", "conv 3x3x2 p1 -> flatten -> dense 2", 0, "conv1 runs as im2col-gemm (an unfolded column matrix per example): its 9,216 taps per filter are more than the shifted views' 8,192")]
    [InlineData("4x8x8", "conv 3x3x4 p1 -> leakyrelu -> flatten -> dense 2", 1, "leakyrelu1 is not fused into conv1: the kernels' epilogue computes relu only")]
    [InlineData("4x8x8", "conv 3x3x4 p1 -> residual { relu } -> flatten -> dense 2", 1, "relu1 is not fused into conv1: conv1's output is also read by add1, so it is stored")]
    [InlineData("4x8x8", "conv 3x3x4 p1 -> maxpool 3 s2 p1 -> flatten -> dense 2", 1, "maxpool1 is not fused into conv1: its windows reach past the input (padding or ceil mode)")]
    [InlineData("4x8x8", "dwconv 3x3 p1 -> maxpool 2 -> flatten -> dense 2", 1, "maxpool1 is not fused into dwconv1: depthwise convolutions have no pooling kernel")]
    [InlineData("4x8x8", "conv 3x3x4 s2 p1 nobias -> batchnorm -> flatten -> dense 2", 1, "batchnorm1 does not take conv1's weight gradient in TrainStep (conv1's input gradient would be written and read back): it is strided")]
    [InlineData("5x8x8", "conv 3x3x4 p1 nobias -> batchnorm -> flatten -> dense 2", 1, "batchnorm1 does not take conv1's weight gradient in TrainStep (conv1's input gradient would be written and read back): it has 5 input channels, more than 4")]
    public void Declined_fusions_and_fast_paths_say_why(string input, string body, int layer, string message)
    {
        var result = T.Compile($"network N\ninput {input}\n{body}\n");
        var note = T.Single(result, "CNN4003");
        Assert.Equal(message, note.Message);
        Assert.Equal(CnnSeverity.Info, note.Severity);
        var plan = result.Networks.Single().Plan;
        Assert.Equal(layer, Assert.Single(plan.Notes).Layer);
        Assert.Equal(2, note.Span.StartLine); // on the line of its layers (0-based: the third)
    }

    [Fact]
    public void Fused_chains_and_first_block_hand_offs_are_not_notes()
    {
        var result = T.Compile("network N\ninput 1x8x8\nconv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2\nconv 3x3x8 p1 -> relu -> maxpool 2\nflatten -> dense 10 -> relu -> dense 2\n");
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "CNN4003");
        var plan = result.Networks.Single().Plan;
        Assert.Equal(1, plan.Steps[0].WeightGradientTakenBy);
        Assert.Equal(0, plan.Steps[1].TakesWeightGradientOf);
    }

    [Fact]
    public void Prelu_has_one_learned_slope_or_one_per_channel_starting_at_a_quarter()
    {
        var shared = T.Net("4x6x6", "conv 3x3x8 p1 -> prelu").Layers[1].Act();
        Assert.Equal(ActivationFunction.PRelu, shared.Function);
        Assert.False(shared.PerChannel);
        var slope = Assert.Single(shared.Parameters);
        Assert.Equal("prelu1.weight", slope.Name);
        Assert.Equal(new[] { 1 }, slope.Shape.ToArray());
        Assert.Equal(ParameterInit.Constant(0.25), slope.Init);
        Assert.Equal(1, shared.ParameterCount);
        var perChannel = T.Net("4x6x6", "conv 3x3x8 p1 -> prelu c").Layers[1].Act();
        Assert.Equal("prelu c", perChannel.Definition);
        Assert.Equal(new[] { 8 }, perChannel.Parameters[0].Shape.ToArray());
        Assert.Equal("8", perChannel.ParameterFormula);
        Assert.Equal(new[] { 10 }, T.Net("10", "prelu c").Layers[0].Parameters[0].Shape.ToArray()); // one per feature
        // a relu-like activation: the conv before it starts He-uniform, and only relu fuses into it
        Assert.Equal(InitKind.HeUniform, T.Net("4x6x6", "conv 3x3x8 p1 -> prelu").Layers[0].Parameters[0].Init.Kind);
        var plan = Net("4x6x6", "conv 3x3x8 p1 -> prelu -> flatten -> dense 2");
        Assert.Equal(new[] { "shifted-gemm", "direct", "direct", "gemm" }, Plans(plan));
        Assert.Contains("CNN1009", T.Compile("network N\ninput 4\nprelu 3\n").Diagnostics.Select(d => d.Id));
        Assert.Contains("CNN1003", T.Compile("network N\ninput 4\nprelu channels\n").Diagnostics.Select(d => d.Id));
    }
}
