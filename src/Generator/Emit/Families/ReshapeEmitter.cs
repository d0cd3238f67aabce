using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>flatten and identity: the values are copied, the gradient added back.</summary>
internal sealed class ReshapeEmitter : LayerEmitter<ReshapeLayer>
{
    public static readonly ReshapeEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(ReshapeLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    protected override IEnumerable<string> CpuForward(ReshapeLayer layer, CpuLayer l, bool training) => One("K.Tensors.Copy<Real>(x, y)");

    protected override IEnumerable<string> CpuBackward(ReshapeLayer layer, CpuLayer l) => One("K.Tensors.Accumulate<Real>(dy, dx)");

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(ReshapeLayer layer, GpuLayer l) => NoGeometry;

    protected override IEnumerable<string> GpuForward(ReshapeLayer layer, GpuLayer l, bool training) =>
        One($"n.Kernels.Copy(batch * {layer.OutputShape.ElementCount}L, {l.X()}, {l.Y});");

    protected override IEnumerable<string> GpuBackward(ReshapeLayer layer, GpuLayer l) =>
        One(l.WhenInputGradient($"n.Kernels.Accumulate(batch * {layer.OutputShape.ElementCount}L, {l.DY}, {l.DX()});"));
}
