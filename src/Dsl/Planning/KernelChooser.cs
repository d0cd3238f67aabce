using System.Globalization;
using CnnDsl.Dsl.Model;
using CnnDsl.Planning;

namespace CnnDsl.Dsl.Planning;

/// <summary>The kernel each layer runs on the CPU, from its shapes alone, and why a slower one was chosen
/// where it was.</summary>
internal sealed class KernelChooser : ILayerVisitor<(CpuKernel Forward, CpuKernel Backward, string? Declined)>
{
    public static readonly KernelChooser Instance = new();

    public (CpuKernel, CpuKernel, string?) Visit(ConvolutionLayer layer)
    {
        var shape = Shapes.Of(layer);
        var forward = Kernel(shape.Forward);
        if (forward != CpuKernel.Im2ColGemm) return (forward, Kernel(shape.Backward), null);
        string why = !shape.ZeroPadding
            ? $"{layer.PaddingMode.ToString().ToLowerInvariant()} padding has no shifted-view kernel"
            : $"its {shape.FilterTaps.ToString("N0", CultureInfo.InvariantCulture)} taps per filter are more than the shifted views' {KernelLimits.MaxShiftedTaps:N0}";
        return (CpuKernel.Im2ColGemm, CpuKernel.Im2ColGemm, $"{layer.Name} runs as im2col-gemm (an unfolded column matrix per example): {why}");
    }

    private static CpuKernel Kernel(ConvKernel kernel) => kernel switch
    {
        ConvKernel.Direct => CpuKernel.DirectConvolution,
        ConvKernel.ShiftedGemm => CpuKernel.ShiftedGemm,
        ConvKernel.Im2ColGemm => CpuKernel.Im2ColGemm,
        ConvKernel.PointwiseGemm => CpuKernel.PointwiseGemm,
    };

    public (CpuKernel, CpuKernel, string?) Visit(DenseLayer layer) => (CpuKernel.Gemm, CpuKernel.Gemm, null);

    public (CpuKernel, CpuKernel, string?) Visit(PoolingLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(AdaptivePoolingLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(MaxoutLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(ActivationLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(SoftmaxLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(BatchNormLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(DropoutLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(ReshapeLayer layer) => Plain;
    public (CpuKernel, CpuKernel, string?) Visit(MergeLayer layer) => Plain;

    private static (CpuKernel, CpuKernel, string?) Plain => (CpuKernel.Direct, CpuKernel.Direct, null);

}

/// <summary>What each layer keeps between its forward and backward passes besides its output: max-pooling
/// and maxout winners and dropout masks (elements per example), batchnorm's batch statistics (per channel).</summary>
internal sealed class BackwardState : ILayerVisitor<(int Argmax, int Mask, int Saved)>
{
    public static readonly BackwardState Instance = new();

    public (int, int, int) Visit(ConvolutionLayer layer) => None;
    public (int, int, int) Visit(PoolingLayer layer) => layer.Function switch
    {
        PoolFunction.Max => (Elements(layer), 0, 0),
        PoolFunction.Average or PoolFunction.Lp => None,
    };
    public (int, int, int) Visit(AdaptivePoolingLayer layer) => layer.Function switch
    {
        AdaptivePoolFunction.Max => (Elements(layer), 0, 0),
        AdaptivePoolFunction.Average => None,
    };
    public (int, int, int) Visit(MaxoutLayer layer) => (Elements(layer), 0, 0);
    public (int, int, int) Visit(ActivationLayer layer) => None;
    public (int, int, int) Visit(SoftmaxLayer layer) => None;
    // mean and 1/std per channel, for the whole batch
    public (int, int, int) Visit(BatchNormLayer layer) => (0, 0, 2 * layer.OutputShape.Channels);
    public (int, int, int) Visit(DropoutLayer layer) => (0, Elements(layer), 0);
    public (int, int, int) Visit(DenseLayer layer) => None;
    public (int, int, int) Visit(ReshapeLayer layer) => None;
    public (int, int, int) Visit(MergeLayer layer) => None;

    private static (int, int, int) None => (0, 0, 0);

    private static int Elements(LayerModel layer) => (int)layer.OutputShape.ElementCount;
}
