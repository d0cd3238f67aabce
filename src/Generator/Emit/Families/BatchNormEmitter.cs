using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>batchnorm: the runtime's BatchNorm kernels, with the relu epilogue and max pooling the plan fuses
/// into it, the input gradient written instead of added where the plan says nothing else adds to it, and,
/// in TrainStep, the weight gradient of the convolution before it taken from dx plane by plane.</summary>
internal sealed class BatchNormEmitter : LayerEmitter<BatchNormLayer>
{
    public static readonly BatchNormEmitter Instance = new();

    protected override string PropertyType(BatchNormLayer layer) => "global::CnnDsl.Runtime.BatchNorm";

    protected override string PropertyValue(BatchNormLayer layer, LayerProperty p) =>
        $"new global::CnnDsl.Runtime.BatchNorm({p.Common(withKeyword: false)}, {p.Parameter(0)}, {p.Parameter(1)}, {p.State(0)}, {p.State(1)})";

    protected override IEnumerable<string> CpuGeometry(BatchNormLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => true;

    private static string Shape(BatchNormLayer layer) => $"{layer.InputShape.Channels}, {layer.InputShape.SpatialSize}";

    protected override IEnumerable<string> CpuForward(BatchNormLayer layer, CpuLayer l, bool training)
    {
        bool pooled = l.Step.HasPool;
        string output = pooled ? "y, " + l.PoolArgmax : "y";
        string pool = pooled ? $", in {l.PoolGeometry}" : "";
        if (!training)
        {
            yield return $"K.BatchNorm.ForwardInference{(pooled ? "MaxPooled" : "")}<Real>(x, {output}, {l.Parameter(0)}, {l.Parameter(1)}, {l.State(0)}, {l.State(1)}, batch, {Shape(layer)}{pool}, {LayerNames.Real(layer.Epsilon)}{l.Epilogue});";
            yield break;
        }
        yield return $"K.BatchNorm.ForwardTraining{(pooled ? "MaxPooled" : "")}<Real>(x, {output}, {l.Parameter(0)}, {l.Parameter(1)}, {l.State(0)}, {l.State(1)}, {l.SavedMean}, {l.SavedInvStd},";
        yield return $"    batch, {Shape(layer)}{pool}, {LayerNames.Real(layer.Epsilon)}, {LayerNames.Real(layer.Momentum)}{l.Epilogue});";
        yield return $"{l.State(2)}[0] += (Real)1;";
    }

    protected override IEnumerable<string> CpuBackward(BatchNormLayer layer, CpuLayer l)
    {
        string overwrite = l.Step.OverwritesInputGradient ? ", accumulate: false" : "";
        string saved = $"{l.SavedMean}, {l.SavedInvStd}";
        return One(l.Step.HasPool
            ? $"K.BatchNorm.BackwardMaxPooled<Real>(x, dy, y, {l.PoolArgmax}, {l.Parameter(0)}, {saved}, dx, {l.ParameterGradient(0)}, {l.ParameterGradient(1)}, batch, {Shape(layer)}, in {l.PoolGeometry}{l.Epilogue}{overwrite})"
            : $"K.BatchNorm.Backward<Real>(x, dy, {l.Parameter(0)}, {saved}, dx, {l.ParameterGradient(0)}, {l.ParameterGradient(1)}, batch, {Shape(layer)}{l.BackwardEpilogue}{overwrite})");
    }

    /// <summary>TrainStep's backward of a batchnorm that takes the weight gradient of convolution
    /// <paramref name="conv"/> of the network input: dx goes plane by plane into that gradient, not to
    /// memory, and the convolution has no backward pass of its own.</summary>
    public IEnumerable<string> CpuBackwardIntoConvolution(CpuLayer l, CpuLayer conv)
    {
        var layer = (BatchNormLayer)l.Layer;
        string saved = $"{l.SavedMean}, {l.SavedInvStd}";
        string convBias = ((ConvolutionLayer)conv.Layer).HasBias ? conv.ParameterGradient(1) : "default";
        string into = $"NetworkInputOut(batch), in {conv.Geometry}, {conv.ParameterGradient(0)}, {convBias}";
        return One(l.Step.HasPool
            ? $"K.BatchNorm.BackwardMaxPooledIntoConvolution<Real>(x, dy, y, {l.PoolArgmax}, {l.Parameter(0)}, {saved}, {l.ParameterGradient(0)}, {l.ParameterGradient(1)}, batch, {Shape(layer)}, in {l.PoolGeometry}, {into}{l.Epilogue})"
            : $"K.BatchNorm.BackwardIntoConvolution<Real>(x, dy, {l.Parameter(0)}, {saved}, {l.ParameterGradient(0)}, {l.ParameterGradient(1)}, batch, {Shape(layer)}, {into}{l.BackwardEpilogue})");
    }

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(BatchNormLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        fields.Add($"Eps = {LayerNames.Float(layer.Epsilon)}, Momentum = {LayerNames.Float(layer.Momentum)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(BatchNormLayer layer, GpuLayer l, bool training)
    {
        if (!training)
        {
            yield return $"n.Kernels.BatchNormApply({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Parameter(0)}, {l.Parameter(1)}, {l.State}, training: false);";
            yield break;
        }
        yield return $"n.Kernels.BatchNormStats({l.Geometry()}, batch, {l.X()}, {l.Saved}, {l.State});";
        yield return $"n.Kernels.BatchNormApply({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Parameter(0)}, {l.Parameter(1)}, {l.Saved}, training: true);";
    }

    protected override IEnumerable<string> GpuBackward(BatchNormLayer layer, GpuLayer l)
    {
        yield return $"n.Kernels.BatchNormBackwardReduce({l.Geometry()}, batch, {l.X()}, {l.DY}, {l.Saved}, {l.ParameterGradient(0)}, {l.ParameterGradient(1)});";
        yield return l.WhenInputGradient($"n.Kernels.BatchNormBackwardData({l.Geometry()}, batch, {l.X()}, {l.DY}, {l.Parameter(0)}, {l.Saved}, {l.DX()});");
    }
}
