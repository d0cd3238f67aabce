using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>softmax and logsoftmax over channels at every position.</summary>
internal sealed class SoftmaxEmitter : LayerEmitter<SoftmaxLayer>
{
    public static readonly SoftmaxEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(SoftmaxLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    private static string Kernel(SoftmaxLayer layer) => layer.Log ? "LogSoftmax" : "Softmax";

    private static string Shape(SoftmaxLayer layer) => $"{layer.InputShape.Channels}, {layer.InputShape.SpatialSize}";

    protected override IEnumerable<string> CpuForward(SoftmaxLayer layer, CpuLayer l, bool training) =>
        One($"K.{Kernel(layer)}.Forward<Real>(x, y, batch, {Shape(layer)})");

    protected override IEnumerable<string> CpuBackward(SoftmaxLayer layer, CpuLayer l) =>
        One($"K.{Kernel(layer)}.Backward<Real>(y, dy, dx, batch, {Shape(layer)})");

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(SoftmaxLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        // the softmax kernels compute log-softmax when Norm is set
        if (layer.Log) fields.Add("Norm = 1f");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(SoftmaxLayer layer, GpuLayer l, bool training) =>
        One($"n.Kernels.SoftmaxForward({l.Geometry()}, batch, {l.X()}, {l.Y});");

    protected override IEnumerable<string> GpuBackward(SoftmaxLayer layer, GpuLayer l) =>
        One(l.WhenInputGradient($"n.Kernels.SoftmaxBackward({l.Geometry()}, batch, {l.Y}, {l.DY}, {l.DX()});"));
}
