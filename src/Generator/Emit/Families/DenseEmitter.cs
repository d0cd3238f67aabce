using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>dense: the runtime's Dense GEMMs with the relu epilogue the plan fuses; on the GPU one thread
/// per output, per input element of dx, per weight (and bias) of dW.</summary>
internal sealed class DenseEmitter : LayerEmitter<DenseLayer>
{
    public static readonly DenseEmitter Instance = new();

    protected override string PropertyType(DenseLayer layer) => "global::CnnDsl.Runtime.Dense";

    protected override string PropertyValue(DenseLayer layer, LayerProperty p) =>
        $"new global::CnnDsl.Runtime.Dense({p.Common(withKeyword: false)}, {p.Parameter(0)}, {(layer.HasBias ? p.Parameter(1) : "null")})";

    protected override IEnumerable<string> CpuGeometry(DenseLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    private static string Shape(DenseLayer layer) => $"{layer.InputShape.Channels}, {layer.Units}";

    private static void CheckKernel(DenseLayer layer, CpuKernel kernel)
    {
        if (kernel != CpuKernel.Gemm) throw WrongKernel(layer, kernel);
    }

    protected override IEnumerable<string> CpuForward(DenseLayer layer, CpuLayer l, bool training)
    {
        CheckKernel(layer, l.Step.Kernel);
        return One($"K.Dense.Forward<Real>(x, {l.Parameter(0)}, {(layer.HasBias ? l.Parameter(1) : "default")}, y, batch, {Shape(layer)}{l.Epilogue})");
    }

    protected override IEnumerable<string> CpuBackward(DenseLayer layer, CpuLayer l)
    {
        CheckKernel(layer, l.Step.BackwardKernel);
        return One($"K.Dense.Backward<Real>(x, {l.Parameter(0)}, dy, dx, {l.ParameterGradient(0)}, {(layer.HasBias ? l.ParameterGradient(1) : "default")}, batch, {Shape(layer)}{l.BackwardEpilogue})");
    }

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(DenseLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        fields.Add($"HasBias = {(layer.HasBias ? 1 : 0)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(DenseLayer layer, GpuLayer l, bool training)
    {
        string bias = layer.HasBias ? l.Parameter(1) : l.NoTensor;
        return One(l.Step.ReluLayer >= 0
            ? $"n.Kernels.DenseForward({l.Geometry()}, batch, {l.X()}, {l.Parameter(0)}, {bias}, {l.ReluY}, relu: true);"
            : $"n.Kernels.DenseForward({l.Geometry()}, batch, {l.X()}, {l.Parameter(0)}, {bias}, {l.Y});");
    }

    protected override IEnumerable<string> GpuBackward(DenseLayer layer, GpuLayer l)
    {
        yield return $"n.Kernels.DenseBackwardWeight({l.Geometry()}, batch, {l.X()}, {l.DY}, {l.Y}, {l.ParameterGradient(0)}, {(layer.HasBias ? l.ParameterGradient(1) : l.NoTensor)});";
        yield return l.WhenInputGradient($"n.Kernels.DenseBackwardData({l.Geometry()}, batch, {l.DY}, {l.Y}, {l.Parameter(0)}, {l.DX()});");
    }
}
