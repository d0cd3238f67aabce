using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>adaptive and global pooling: the runtime's AdaptivePooling kernels, PyTorch's windows.</summary>
internal sealed class AdaptivePoolingEmitter : LayerEmitter<AdaptivePoolingLayer>
{
    public static readonly AdaptivePoolingEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(AdaptivePoolingLayer layer, CpuLayer l)
    {
        var i = Shapes.Spatial3(layer.InputShape);
        var o = Shapes.Pad3(layer.OutputSize, 1);
        yield return $"private static readonly K.AdaptivePoolGeometry {l.Geometry} = new(Channels: {layer.InputShape.Channels}, InDepth: {i[0]}, InHeight: {i[1]}, InWidth: {i[2]}, OutDepth: {o[0]}, OutHeight: {o[1]}, OutWidth: {o[2]});";
    }

    public override bool ForwardDependsOnMode => false;

    protected override IEnumerable<string> CpuForward(AdaptivePoolingLayer layer, CpuLayer l, bool training) => One(layer.Function switch
    {
        AdaptivePoolFunction.Max => $"K.AdaptivePooling.MaxForward<Real>(x, y, {l.Argmax}, batch, in {l.Geometry})",
        AdaptivePoolFunction.Average => $"K.AdaptivePooling.AvgForward<Real>(x, y, batch, in {l.Geometry})",
    });

    protected override IEnumerable<string> CpuBackward(AdaptivePoolingLayer layer, CpuLayer l) => One(layer.Function switch
    {
        AdaptivePoolFunction.Max => $"K.AdaptivePooling.MaxBackward<Real>(dy, {l.Argmax}, dx, batch, in {l.Geometry})",
        AdaptivePoolFunction.Average => $"K.AdaptivePooling.AvgBackward<Real>(dy, dx, batch, in {l.Geometry})",
    });

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(AdaptivePoolingLayer layer, GpuLayer l)
    {
        // a global pooling's flat output of C reads as C×1×1×1
        yield return (l.Geometry(), string.Join(", ", l.CommonGeometry(layer.InputShape)));
    }

    protected override IEnumerable<string> GpuForward(AdaptivePoolingLayer layer, GpuLayer l, bool training) => One(layer.Function switch
    {
        AdaptivePoolFunction.Max => $"n.Kernels.AdaptiveMaxForward({l.Geometry()}, batch, {l.X()}, {l.Y}, {l.Argmax});",
        AdaptivePoolFunction.Average => $"n.Kernels.AdaptiveAvgForward({l.Geometry()}, batch, {l.X()}, {l.Y});",
    });

    protected override IEnumerable<string> GpuBackward(AdaptivePoolingLayer layer, GpuLayer l) => One(l.WhenInputGradient(layer.Function switch
    {
        AdaptivePoolFunction.Max => $"n.Kernels.ArgmaxBackward({l.Geometry()}, batch, {l.DY}, {l.Argmax}, {l.DX()});",
        AdaptivePoolFunction.Average => $"n.Kernels.AdaptiveAvgBackward({l.Geometry()}, batch, {l.DY}, {l.DX()});",
    }));
}
