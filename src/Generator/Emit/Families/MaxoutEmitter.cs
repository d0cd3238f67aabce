using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>maxout: the runtime's Maxout kernels, winners kept for backward.</summary>
internal sealed class MaxoutEmitter : LayerEmitter<MaxoutLayer>
{
    public static readonly MaxoutEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(MaxoutLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    private static string Shape(MaxoutLayer layer) => $"{layer.InputShape.Channels}, {layer.GroupSize}, {layer.InputShape.SpatialSize}";

    protected override IEnumerable<string> CpuForward(MaxoutLayer layer, CpuLayer l, bool training) =>
        One($"K.Maxout.Forward<Real>(x, y, {l.Argmax}, batch, {Shape(layer)})");

    protected override IEnumerable<string> CpuBackward(MaxoutLayer layer, CpuLayer l) =>
        One($"K.Maxout.Backward<Real>(dy, {l.Argmax}, dx, batch, {Shape(layer)})");

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(MaxoutLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        fields.Add($"GroupSize = {layer.GroupSize}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(MaxoutLayer layer, GpuLayer l, bool training) =>
        One($"n.Kernels.MaxoutForward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Argmax});");

    protected override IEnumerable<string> GpuBackward(MaxoutLayer layer, GpuLayer l) =>
        One(l.WhenInputGradient($"n.Kernels.ArgmaxBackward({l.Geometry()}, batch, {l.DY}, {l.Argmax}, {l.DX()});"));
}
