using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Tests;

/// <summary>The execution plan the checker attaches to every layer: kernel choice and relu fusion.</summary>
public class ExecutionPlanTests
{
    private static string[] Plans(NetworkModel n) => n.Layers.Select(l => l.Plan.Description).ToArray();

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
        var n = T.Net("4x6x6", conv);
        Assert.Equal(expected, n.Layers[0].Plan.Description);
        Assert.False(n.Layers[0].Plan.HasActivation);
    }

    [Fact]
    public void Pointwise_and_shifted_rules_hold_in_1d_and_3d()
    {
        Assert.Equal(KernelStrategy.PointwiseGemm, T.Net("4x9", "conv 1x8").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.PointwiseGemm, T.Net("4x3x5x5", "conv 1x1x1x8").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.ShiftedGemm, T.Net("4x3x5x5", "conv 1x1x3x8").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.ShiftedGemm, T.Net("4x3x5x5", "conv 1x1x3x8 s1x1x2").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.Im2ColGemm, T.Net("4x3x5x5", "conv 1x1x3x8 s1x1x2 p1 reflect").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.Direct, T.Net("4x9", "conv 3x8 p1").Layers[0].Plan.Strategy);
        Assert.Equal(KernelStrategy.ShiftedGemm, T.Net("12x9", "conv 3x8 p1").Layers[0].Plan.Strategy);
        // 3-D: direct only where the kernel and the output have depth 1
        Assert.Equal(KernelStrategy.Direct, T.Net("3x1x5x5", "conv 1x3x3x8 p=0x1x1").Layers[0].Plan.Strategy);
    }

    [Fact]
    public void Dense_is_gemm_and_everything_else_direct()
    {
        var n = T.Net("2x8x8", "maxpool 2 -> batchnorm -> tanh -> flatten -> dropout 0.5 -> dense 10 -> softmax");
        Assert.Equal(new[] { "direct", "direct", "direct", "direct", "direct", "gemm", "direct" }, Plans(n));
        Assert.Equal(KernelStrategy.Gemm, n.Layers[5].Plan.Strategy);
    }

    [Fact]
    public void Relu_after_conv_dwconv_and_dense_is_fused_into_it()
    {
        var n = T.Net("1x8x8", "conv 3x3x4 -> relu -> dwconv 3x3 -> relu -> flatten -> dense 10 -> relu -> dense 3");
        Assert.Equal(new[]
        {
            "direct + relu", "fused into conv1",
            "shifted-gemm + relu", "fused into dwconv1",
            "direct",
            "gemm + relu", "fused into dense1",
            "gemm",
        }, Plans(n));
        var conv = n.Layers[0].Plan;
        Assert.Equal(FusedActivation.Relu, conv.Activation);
        Assert.Equal(1, conv.ActivationLayer);
        Assert.Equal(-1, conv.FusedInto);
        var relu = n.Layers[1].Plan;
        Assert.Equal(KernelStrategy.Fused, relu.Strategy);
        Assert.True(relu.IsFused);
        Assert.Equal(0, relu.FusedInto);
        Assert.Equal(-1, relu.ActivationLayer);
    }

    [Fact]
    public void Pointwise_conv_keeps_its_strategy_when_fused()
    {
        var n = T.Net("4x6x6", "conv 1x1x8 -> relu");
        Assert.Equal(new[] { "pointwise-gemm + relu", "fused into conv1" }, Plans(n));
    }

    [Fact]
    public void A_relu_that_is_the_output_is_still_fused()
    {
        // the relu's own slot holds the output; only the producer's pre-activation goes unstored
        var n = T.Net("10", "dense 4 -> relu");
        Assert.Equal(new[] { "gemm + relu", "fused into dense1" }, Plans(n));
    }

    [Fact]
    public void No_fusion_when_the_conv_output_has_a_second_reader()
    {
        // the residual's identity shortcut reads conv1's output too: the pre-activation must be stored
        var residual = T.Net("4x6x6", "conv 3x3x4 p1 -> residual { relu }");
        Assert.Equal(new[] { "shifted-gemm", "direct", "direct" }, Plans(residual));
        Assert.Equal(new[] { 1, 0 }, residual.Layers[2].Inputs.ToArray());

        var concat = T.Net("4x6x6", "conv 3x3x4 p1 -> concat { [relu] [] }");
        Assert.Equal(new[] { "shifted-gemm", "direct", "direct" }, Plans(concat));

        var dense = T.Net("10", "dense 4 -> add { [relu] [tanh] }");
        Assert.Equal("gemm", dense.Layers[0].Plan.Description);
        Assert.All(dense.Layers, l => Assert.False(l.Plan.IsFused));
    }

    [Theory]
    [InlineData("leakyrelu")]
    [InlineData("elu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void Only_relu_is_fused(string activation)
    {
        var n = T.Net("1x8x8", $"conv 3x3x4 -> {activation}");
        Assert.Equal(new[] { "direct", "direct" }, Plans(n));
    }

    [Fact]
    public void No_fusion_across_another_layer_or_into_the_output()
    {
        // the conv's relu would have to cross the batchnorm; the batchnorm computes it instead
        Assert.Equal(new[] { "shifted-gemm", "direct + relu", "fused into batchnorm1" }, Plans(T.Net("4x8x8", "conv 3x3x4 -> batchnorm -> relu")));
        // the last layer is the output (or the loss's logits before a final softmax): it keeps its own slot
        Assert.Equal(new[] { "gemm", "gemm" }, Plans(T.Net("10", "dense 4 -> dense 3")));
        Assert.Equal(new[] { "gemm", "direct" }, Plans(T.Net("10", "dense 3 -> softmax")));
    }

    [Fact]
    public void Max_pooling_after_a_conv_or_its_relu_is_fused_into_the_conv()
    {
        var n = T.Net("1x12x12", "conv 3x3x4 p1 -> relu -> maxpool 2 -> conv 3x3x4 s2 p1 -> maxpool 3 s1 -> flatten -> dense 3");
        Assert.Equal(new[]
        {
            "direct + relu + maxpool", "fused into conv1", "fused into conv1",
            "shifted-gemm + maxpool", "fused into conv2",
            "direct", "gemm",
        }, Plans(n));
        Assert.Equal(2, n.Layers[0].Plan.PoolLayer);
        Assert.Equal(0, n.Layers[2].Plan.FusedInto);
        Assert.Equal(KernelStrategy.Fused, n.Layers[2].Plan.Strategy);
        Assert.Equal(4, n.Layers[3].Plan.PoolLayer);
        Assert.False(n.Layers[5].Plan.HasPool);
    }

    [Fact]
    public void Batchnorm_computes_the_relu_and_max_pooling_after_it()
    {
        var n = T.Net("1x8x8", "conv 3x3x4 p1 nobias -> batchnorm -> relu -> maxpool 2 -> conv 3x3x4 p1 -> batchnorm -> maxpool 2 -> flatten -> dense 2");
        Assert.Equal(new[]
        {
            "direct", "direct + relu + maxpool", "fused into batchnorm1", "fused into batchnorm1",
            "shifted-gemm", "direct + maxpool", "fused into batchnorm2",
            "direct", "gemm",
        }, Plans(n));
        Assert.Equal(3, n.Layers[1].Plan.PoolLayer);
        Assert.Equal(2, n.Layers[1].Plan.ActivationLayer);
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
        var n = T.Net("4x9x9", layers + " -> flatten -> dense 2");
        Assert.True(n.Layers.All(l => !l.Plan.HasPool), why);
        Assert.DoesNotContain(n.Layers, l => l.Kind == LayerKind.MaxPool && l.Plan.IsFused);
    }

    [Fact]
    public void A_max_pooling_that_is_the_output_is_still_fused()
    {
        var n = T.Net("1x8x8", "conv 3x3x4 p1 -> relu -> maxpool 2");
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
    public void Plans_are_part_of_layer_equality()
    {
        var fused = T.Net("10", "dense 4 -> relu");
        var again = T.Net("10", "dense 4 -> relu");
        Assert.Equal(fused.Layers, again.Layers);
        Assert.NotEqual(fused.Layers[0], fused.Layers[0] with { Plan = LayerPlan.Direct });
    }
}
