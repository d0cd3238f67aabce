using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>conv and dwconv: the runtime's Convolution kernels with the algorithm the plan chose (and a
/// relu epilogue, a fused max pooling); on the GPU one thread per output, per input element of dx (or
/// scattered with atomics for non-zero padding), per weight of dW.</summary>
internal sealed class ConvolutionEmitter : LayerEmitter<ConvolutionLayer>
{
    public static readonly ConvolutionEmitter Instance = new();

    protected override string PropertyType(ConvolutionLayer layer) => $"global::CnnDsl.Runtime.Conv{layer.Kernel.Count}d";

    protected override string PropertyValue(ConvolutionLayer layer, LayerProperty p) =>
        $"new {PropertyType(layer)}({p.Common()}, {p.Parameter(0)}, {(layer.HasBias ? p.Parameter(1) : "null")})";

    protected override IEnumerable<string> CpuGeometry(ConvolutionLayer layer, CpuLayer l)
    {
        var i = Shapes.Spatial3(layer.InputShape);
        var o = Shapes.Spatial3(layer.OutputShape);
        var k = Shapes.Pad3(layer.Kernel, 1);
        var s = Shapes.Pad3(layer.Stride, 1);
        var d = Shapes.Pad3(layer.Dilation, 1);
        var p = Shapes.Pad3(layer.PadBefore, 0);
        yield return $"private static readonly K.ConvGeometry {l.Geometry} = new(";
        yield return $"    InChannels: {layer.InputShape.Channels}, InDepth: {i[0]}, InHeight: {i[1]}, InWidth: {i[2]},";
        yield return $"    OutChannels: {layer.OutputShape.Channels}, OutDepth: {o[0]}, OutHeight: {o[1]}, OutWidth: {o[2]},";
        yield return $"    KernelDepth: {k[0]}, KernelHeight: {k[1]}, KernelWidth: {k[2]}, StrideDepth: {s[0]}, StrideHeight: {s[1]}, StrideWidth: {s[2]},";
        yield return $"    DilationDepth: {d[0]}, DilationHeight: {d[1]}, DilationWidth: {d[2]}, PadDepth: {p[0]}, PadHeight: {p[1]}, PadWidth: {p[2]},";
        yield return $"    Groups: {layer.Groups}, Mode: K.PaddingMode.{layer.PaddingMode});";
    }

    public override bool ForwardDependsOnMode => false;

    private static string Algorithm(ConvolutionLayer layer, CpuKernel kernel) => "K.ConvolutionAlgorithm." + kernel switch
    {
        CpuKernel.DirectConvolution => "Direct",
        CpuKernel.ShiftedGemm => "ShiftedGemm",
        CpuKernel.Im2ColGemm => "Im2ColGemm",
        CpuKernel.PointwiseGemm => "PointwiseGemm",
        CpuKernel.Direct or CpuKernel.Gemm or CpuKernel.Fused => throw WrongKernel(layer, kernel),
    };

    private static string Bias(ConvolutionLayer layer, CpuLayer l) => layer.HasBias ? l.Parameter(1) : "default";

    private static string BiasGradient(ConvolutionLayer layer, CpuLayer l) => layer.HasBias ? l.ParameterGradient(1) : "default";

    protected override IEnumerable<string> CpuForward(ConvolutionLayer layer, CpuLayer l, bool training)
    {
        string algorithm = Algorithm(layer, l.Step.Kernel);
        return One(l.Step.HasPool
            ? $"K.Convolution.ForwardMaxPooled<Real>(x, {l.Parameter(0)}, {Bias(layer, l)}, y, {l.PoolArgmax}, batch, in {l.Geometry}, in {l.PoolGeometry}, {algorithm}{l.Epilogue})"
            : $"K.Convolution.Forward<Real>(x, {l.Parameter(0)}, {Bias(layer, l)}, y, batch, in {l.Geometry}, {algorithm}{l.Epilogue})");
    }

    protected override IEnumerable<string> CpuBackward(ConvolutionLayer layer, CpuLayer l)
    {
        string algorithm = Algorithm(layer, l.Step.BackwardKernel);
        return One(l.Step.HasPool
            ? $"K.Convolution.BackwardMaxPooled<Real>(x, {l.Parameter(0)}, dy, y, {l.PoolArgmax}, dx, {l.ParameterGradient(0)}, {BiasGradient(layer, l)}, batch, in {l.Geometry}, in {l.PoolGeometry}, {algorithm}{l.Epilogue})"
            : $"K.Convolution.Backward<Real>(x, {l.Parameter(0)}, dy, dx, {l.ParameterGradient(0)}, {BiasGradient(layer, l)}, batch, in {l.Geometry}, {algorithm}{l.BackwardEpilogue})");
    }

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(ConvolutionLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        var k = Shapes.Pad3(layer.Kernel, 1);
        var s = Shapes.Pad3(layer.Stride, 1);
        var d = Shapes.Pad3(layer.Dilation, 1);
        var p = Shapes.Pad3(layer.PadBefore, 0);
        fields.Add($"KD = {k[0]}, KH = {k[1]}, KW = {k[2]}, SD = {s[0]}, SH = {s[1]}, SW = {s[2]}, DD = {d[0]}, DH = {d[1]}, DW = {d[2]}, PD = {p[0]}, PH = {p[1]}, PW = {p[2]}");
        fields.Add($"Groups = {layer.Groups}, Mode = {(int)layer.PaddingMode}, HasBias = {(layer.HasBias ? 1 : 0)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(ConvolutionLayer layer, GpuLayer l, bool training)
    {
        string bias = layer.HasBias ? l.Parameter(1) : l.NoTensor;
        yield return l.Step.ReluLayer >= 0
            ? $"n.Kernels.ConvForward({l.Geometry()}, batch, {l.X()}, {l.Parameter(0)}, {bias}, {l.ReluY}, relu: true);"
            : $"n.Kernels.ConvForward({l.Geometry()}, batch, {l.X()}, {l.Parameter(0)}, {bias}, {l.Y});";
    }

    protected override IEnumerable<string> GpuBackward(ConvolutionLayer layer, GpuLayer l)
    {
        yield return $"n.Kernels.ConvBackwardWeight({l.Geometry()}, batch, {l.X()}, {l.DY}, {l.Y}, {l.ParameterGradient(0)});";
        if (layer.HasBias) yield return $"n.Kernels.BiasBackward({l.Geometry()}, batch, {l.DY}, {l.Y}, {l.ParameterGradient(1)});";
        string data = l.Step.ScatterInputGradient ? "ConvBackwardDataScatter" : "ConvBackwardDataGather";
        yield return l.WhenInputGradient($"n.Kernels.{data}({l.Geometry()}, batch, {l.DY}, {l.Y}, {l.Parameter(0)}, {l.DX()});");
    }
}
