using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>Element-wise activations: the runtime's Activations kernels (a relu fused into the kernel before
/// it has no pass of its own on the CPU); on the GPU one kernel for every function, chosen by its geometry.</summary>
internal sealed class ActivationEmitter : LayerEmitter<ActivationLayer>
{
    public static readonly ActivationEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(ActivationLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    /// <summary>The runtime's name of the function's kernels and its scalar argument, if any.</summary>
    private static (string Kernel, string Arguments) Function(ActivationLayer layer) => layer.Function switch
    {
        ActivationFunction.Relu => ("Relu", ""),
        ActivationFunction.Sigmoid => ("Sigmoid", ""),
        ActivationFunction.Tanh => ("Tanh", ""),
        ActivationFunction.LeakyRelu => ("LeakyRelu", ", " + LayerNames.Real(layer.Alpha)),
        ActivationFunction.Elu => ("Elu", ", " + LayerNames.Real(layer.Alpha)),
    };

    protected override IEnumerable<string> CpuForward(ActivationLayer layer, CpuLayer l, bool training)
    {
        var (kernel, arguments) = Function(layer);
        return One($"K.Activations.{kernel}Forward<Real>(x, y{arguments})");
    }

    protected override IEnumerable<string> CpuBackward(ActivationLayer layer, CpuLayer l)
    {
        var (kernel, arguments) = Function(layer);
        return One($"K.Activations.{kernel}Backward<Real>(x, y, dy, dx{arguments})");
    }

    private static string GpuFunction(ActivationFunction function) => "global::CnnDsl.Runtime.Gpu.GpuActivation." + function switch
    {
        ActivationFunction.Relu => "Relu",
        ActivationFunction.Sigmoid => "Sigmoid",
        ActivationFunction.Tanh => "Tanh",
        ActivationFunction.LeakyRelu => "LeakyRelu",
        ActivationFunction.Elu => "Elu",
    };

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(ActivationLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        fields.Add($"Act = {GpuFunction(layer.Function)}, Alpha = {LayerNames.Float(layer.Alpha)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(ActivationLayer layer, GpuLayer l, bool training) =>
        l.Step.ForwardFused ? None : One($"n.Kernels.ActivationForward({l.Geometry()}, batch, {l.X()}, {l.Y});");

    protected override IEnumerable<string> GpuBackward(ActivationLayer layer, GpuLayer l) =>
        One(l.WhenInputGradient($"n.Kernels.ActivationBackward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.DY}, {l.DX()});"));
}
