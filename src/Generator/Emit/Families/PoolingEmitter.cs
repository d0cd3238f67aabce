using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>maxpool, avgpool, lppool: the runtime's Pooling kernels (a max pooling fused into the kernel
/// before it has no pass of its own); on the GPU one thread per output, dx through the argmax for max.</summary>
internal sealed class PoolingEmitter : LayerEmitter<PoolingLayer>
{
    public static readonly PoolingEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(PoolingLayer layer, CpuLayer l)
    {
        var i = Shapes.Spatial3(layer.InputShape);
        var o = Shapes.Spatial3(layer.OutputShape);
        var k = Shapes.Pad3(layer.Window, 1);
        var s = Shapes.Pad3(layer.Stride, 1);
        var p = Shapes.Pad3(layer.Pad, 0);
        yield return $"private static readonly K.PoolGeometry {l.Geometry} = new(";
        yield return $"    Channels: {layer.InputShape.Channels}, InDepth: {i[0]}, InHeight: {i[1]}, InWidth: {i[2]}, OutDepth: {o[0]}, OutHeight: {o[1]}, OutWidth: {o[2]},";
        yield return $"    KernelDepth: {k[0]}, KernelHeight: {k[1]}, KernelWidth: {k[2]}, StrideDepth: {s[0]}, StrideHeight: {s[1]}, StrideWidth: {s[2]},";
        yield return $"    PadDepth: {p[0]}, PadHeight: {p[1]}, PadWidth: {p[2]});";
    }

    public override bool ForwardDependsOnMode => false;

    protected override IEnumerable<string> CpuForward(PoolingLayer layer, CpuLayer l, bool training) => One(layer.Function switch
    {
        PoolFunction.Max => $"K.Pooling.MaxForward<Real>(x, y, {l.Argmax}, batch, in {l.Geometry})",
        PoolFunction.Average => $"K.Pooling.AvgForward<Real>(x, y, batch, in {l.Geometry})",
        PoolFunction.Lp => $"K.Pooling.LpForward<Real>(x, y, batch, in {l.Geometry}, {LayerNames.Real(layer.Norm)})",
    });

    protected override IEnumerable<string> CpuBackward(PoolingLayer layer, CpuLayer l) => One(layer.Function switch
    {
        PoolFunction.Max => $"K.Pooling.MaxBackward<Real>(dy, {l.Argmax}, dx, batch, in {l.Geometry})",
        PoolFunction.Average => $"K.Pooling.AvgBackward<Real>(dy, dx, batch, in {l.Geometry})",
        PoolFunction.Lp => $"K.Pooling.LpBackward<Real>(x, y, dy, dx, batch, in {l.Geometry}, {LayerNames.Real(layer.Norm)})",
    });

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(PoolingLayer layer, GpuLayer l)
    {
        var fields = l.CommonGeometry(layer.InputShape);
        var k = Shapes.Pad3(layer.Window, 1);
        var s = Shapes.Pad3(layer.Stride, 1);
        var p = Shapes.Pad3(layer.Pad, 0);
        fields.Add($"KD = {k[0]}, KH = {k[1]}, KW = {k[2]}, SD = {s[0]}, SH = {s[1]}, SW = {s[2]}, PD = {p[0]}, PH = {p[1]}, PW = {p[2]}");
        // the GPU average kernel computes the power mean when Norm is set (lppool)
        if (layer.Function == PoolFunction.Lp) fields.Add($"Norm = {LayerNames.Float(layer.Norm)}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(PoolingLayer layer, GpuLayer l, bool training) => One(layer.Function switch
    {
        PoolFunction.Max => $"n.Kernels.MaxPoolForward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Argmax});",
        PoolFunction.Average or PoolFunction.Lp => $"n.Kernels.AvgPoolForward({l.Geometry()}, batch, {l.X()}, {l.Y});",
    });

    protected override IEnumerable<string> GpuBackward(PoolingLayer layer, GpuLayer l) => One(l.WhenInputGradient(layer.Function switch
    {
        PoolFunction.Max => $"n.Kernels.ArgmaxBackward({l.Geometry()}, batch, {l.DY}, {l.Argmax}, {l.DX()});",
        PoolFunction.Average or PoolFunction.Lp => $"n.Kernels.AvgPoolBackward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.DY}, {l.DX()});",
    }));
}
