using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>concat and add of branches: channel blocks copied in and their gradients added back, or a sum.</summary>
internal sealed class MergeEmitter : LayerEmitter<MergeLayer>
{
    public static readonly MergeEmitter Instance = new();

    protected override IEnumerable<string> CpuGeometry(MergeLayer layer, CpuLayer l) => None;

    public override bool ForwardDependsOnMode => false;

    protected override IEnumerable<string> CpuForward(MergeLayer layer, CpuLayer l, bool training)
    {
        int count = layer.Inputs.Count;
        switch (layer.Operation)
        {
            case MergeOperation.Concat:
                int offset = 0;
                for (int k = 0; k < count; k++)
                {
                    var shape = l.InputShape(k);
                    yield return $"K.Tensors.CopyChannelsInto<Real>(x{k}, y, batch, {shape.Channels}, {layer.OutputShape.Channels}, {offset}, {shape.SpatialSize});";
                    offset += shape.Channels;
                }
                break;
            case MergeOperation.Add:
                if (count == 1)
                {
                    yield return "K.Tensors.Copy<Real>(x0, y);"; // a single branch adds nothing
                    break;
                }
                yield return "K.Tensors.Add<Real>(x0, x1, y);";
                for (int k = 2; k < count; k++) yield return $"K.Tensors.Accumulate<Real>(x{k}, y);";
                break;
        }
    }

    protected override IEnumerable<string> CpuBackward(MergeLayer layer, CpuLayer l)
    {
        int offset = 0;
        for (int k = 0; k < layer.Inputs.Count; k++)
        {
            var shape = l.InputShape(k);
            // the network input's gradient is only computed when Backward asks for it
            string guard = l.ReadsNetworkInput(k) ? $"if (!dx{k}.IsEmpty) " : "";
            yield return layer.Operation switch
            {
                MergeOperation.Concat => $"{guard}K.Tensors.AccumulateChannelsFrom<Real>(dy, dx{k}, batch, {layer.OutputShape.Channels}, {shape.Channels}, {offset}, {shape.SpatialSize});",
                MergeOperation.Add => $"{guard}K.Tensors.Accumulate<Real>(dy, dx{k});",
            };
            offset += shape.Channels;
        }
    }

    protected override IEnumerable<(string Name, string Fields)> GpuGeometry(MergeLayer layer, GpuLayer l)
    {
        if (layer.Operation == MergeOperation.Add) yield break;
        // the output's channels; each input's channels and first output channel go with its launch
        var fields = l.CommonGeometry(l.InputShape(0));
        fields.Add($"TotalChannels = {layer.OutputShape.Channels}");
        yield return (l.Geometry(), string.Join(", ", fields));
    }

    protected override IEnumerable<string> GpuForward(MergeLayer layer, GpuLayer l, bool training)
    {
        int count = layer.Inputs.Count;
        long elements = layer.OutputShape.ElementCount;
        switch (layer.Operation)
        {
            case MergeOperation.Concat:
                int offset = 0;
                for (int k = 0; k < count; k++)
                {
                    int channels = l.InputShape(k).Channels;
                    yield return $"n.Kernels.ConcatForward({l.Geometry()}, batch, channels: {channels}, channelOffset: {offset}, {l.X(k)}, {l.Y});";
                    offset += channels;
                }
                break;
            case MergeOperation.Add:
                yield return $"n.Kernels.Copy(batch * {elements}L, {l.X(0)}, {l.Y});";
                for (int k = 1; k < count; k++) yield return $"n.Kernels.Accumulate(batch * {elements}L, {l.X(k)}, {l.Y});";
                break;
        }
    }

    protected override IEnumerable<string> GpuBackward(MergeLayer layer, GpuLayer l)
    {
        long elements = layer.OutputShape.ElementCount;
        int offset = 0;
        for (int k = 0; k < layer.Inputs.Count; k++)
        {
            int channels = l.InputShape(k).Channels;
            yield return l.WhenInputGradient(layer.Operation switch
            {
                MergeOperation.Concat => $"n.Kernels.ConcatBackward({l.Geometry()}, batch, channels: {channels}, channelOffset: {offset}, {l.DY}, {l.DX(k)});",
                MergeOperation.Add => $"n.Kernels.Accumulate(batch * {elements}L, {l.DY}, {l.DX(k)});",
            }, k);
            offset += channels;
        }
    }
}
