using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>dropout: the runtime's Dropout kernels with the model's random stream; the GPU draws the same
/// masks from the same counter-based stream (SplitMix64).</summary>
internal sealed class DropoutEmitter : LayerEmitter<DropoutLayer>
{
    public static readonly DropoutEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(DropoutLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => true;

    protected override IEnumerable<string> CpuForward(DropoutLayer layer, CpuLayer l, bool training) => One(training
        ? $"K.Dropout.ForwardTraining<Real>(x, y, {l.Mask}, {LayerNames.Real(layer.Rate)}, ref _random)"
        : "K.Tensors.Copy<Real>(x, y)");

    protected override IEnumerable<string> CpuBackward(DropoutLayer layer, CpuLayer l) => One($"K.Dropout.Backward<Real>(dy, {l.Mask}, dx)");

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(DropoutLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        fields.Add($"Alpha = {LayerNames.Float(layer.Rate)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(DropoutLayer layer, GpuLayer l, bool training) => One(training
        ? $"n.Dropout({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Mask});"
        : $"n.Kernels.Copy(batch * {l.Layer.OutputShape.ElementCount}L, {l.X()}, {l.Y});");

    protected override IEnumerable<string> GpuBackward(DropoutLayer layer, GpuLayer l) =>
        One(l.WhenInputGradient($"n.Kernels.MultiplyAccumulate(batch * {l.Layer.OutputShape.ElementCount}L, {l.DY}, {l.Mask}, {l.DX()});"));
}
