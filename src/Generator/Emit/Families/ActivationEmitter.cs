using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>Element-wise activations: the runtime's Activations kernels (a relu fused into the kernel before
/// it has no pass of its own on the CPU); on the GPU one kernel for every parameterless function, chosen by
/// its geometry, and prelu's own kernels for its learned slopes.</summary>
internal sealed class ActivationEmitter : LayerEmitter<ActivationLayer>
{
    public static readonly ActivationEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(ActivationLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    /// <summary>The runtime's name of the function's kernels and the arguments after its tensors.</summary>
    private static (string Kernel, string Arguments) Function(ActivationLayer layer, CpuLayer l) => layer.Function switch
    {
        ActivationFunction.Relu => ("Relu", ""),
        ActivationFunction.Sigmoid => ("Sigmoid", ""),
        ActivationFunction.Tanh => ("Tanh", ""),
        ActivationFunction.LeakyRelu => ("LeakyRelu", ", " + LayerNames.Real(layer.Alpha)),
        ActivationFunction.Elu => ("Elu", ", " + LayerNames.Real(layer.Alpha)),
        ActivationFunction.PRelu => ("PRelu", $", {l.Parameter(0)}, batch, {layer.InputShape.Channels}, {layer.InputShape.SpatialSize}"),
    };

    protected override IEnumerable<string> CpuForward(ActivationLayer layer, CpuLayer l, bool training)
    {
        var (kernel, arguments) = Function(layer, l);
        return One($"K.Activations.{kernel}Forward<Real>(x, y{arguments})");
    }

    protected override IEnumerable<string> CpuBackward(ActivationLayer layer, CpuLayer l)
    {
        if (layer.Function == ActivationFunction.PRelu)
            return One($"K.Activations.PReluBackward<Real>(x, dy, dx, {l.Parameter(0)}, {l.ParameterGradient(0)}, batch, {layer.InputShape.Channels}, {layer.InputShape.SpatialSize})");
        var (kernel, arguments) = Function(layer, l);
        return One($"K.Activations.{kernel}Backward<Real>(x, y, dy, dx{arguments})");
    }

    /// <summary>The function of the GPU's activation kernels, or null for prelu (kernels of its own).</summary>
    private static string? GpuFunction(ActivationFunction function) => function switch
    {
        ActivationFunction.Relu => "Relu",
        ActivationFunction.Sigmoid => "Sigmoid",
        ActivationFunction.Tanh => "Tanh",
        ActivationFunction.LeakyRelu => "LeakyRelu",
        ActivationFunction.Elu => "Elu",
        ActivationFunction.PRelu => null,
    };

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(ActivationLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        if (GpuFunction(layer.Function) is string function)
            fields.Add($"Act = global::CnnDsl.Runtime.Gpu.GpuActivation.{function}, Alpha = {LayerNames.Float(layer.Alpha)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    private static long Slopes(ActivationLayer layer) => layer.Parameters[0].Count;

    protected override IEnumerable<string> GpuForward(ActivationLayer layer, GpuLayer l, bool training)
    {
        if (l.Step.ForwardFused) return None;
        return One(layer.Function == ActivationFunction.PRelu
            ? $"n.Kernels.PReluForward({l.Geometry()}, batch, {Slopes(layer)}, {l.X()}, {l.Parameter(0)}, {l.Y});"
            : $"n.Kernels.ActivationForward({l.Geometry()}, batch, {l.X()}, {l.Y});");
    }

    protected override IEnumerable<string> GpuBackward(ActivationLayer layer, GpuLayer l)
    {
        if (layer.Function != ActivationFunction.PRelu)
        {
            yield return l.WhenInputGradient($"n.Kernels.ActivationBackward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.DY}, {l.DX()});");
            yield break;
        }
        yield return $"n.Kernels.PReluBackwardWeight({l.Geometry()}, batch, {Slopes(layer)}, {l.X()}, {l.DY}, {l.ParameterGradient(0)});";
        yield return l.WhenInputGradient($"n.Kernels.PReluBackwardData({l.Geometry()}, batch, {Slopes(layer)}, {l.X()}, {l.Parameter(0)}, {l.DY}, {l.DX()});");
    }
}
