using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;

namespace CnnDsl.Generator.Emit.Gpu;

/// <summary>
/// One layer as its GPU emitter sees it: the checked layer, its GPU step, and the expressions of the
/// device views its kernels read and write (<c>n</c> is the <c>GpuNetwork</c>, <c>batch</c> the batch size).
/// </summary>
internal sealed class GpuLayer
{
    private readonly LayerNames _names;

    public GpuLayer(PlannedNetwork planned, LayerNames names, int index)
    {
        _names = names;
        Planned = planned;
        Index = index;
    }

    public PlannedNetwork Planned { get; }

    public int Index { get; }

    public LayerModel Layer => Planned.Network.Layers[Index];

    public GpuStep Step => Planned.Plan.Gpu.Steps[Index];

    public string Name => Layer.PropertyName;

    /// <summary>The static field of the layer's geometry.</summary>
    public string Geometry() => Name + "Geometry";

    public string X(int k = 0) => $"n.Activations({_names.Tensor(Layer.Inputs[k])}Out, batch)";

    public string DX(int k = 0) => $"n.Gradients({_names.Tensor(Layer.Inputs[k])}Out, batch)";

    public string Y => $"n.Activations({Name}Out, batch)";

    public string DY => $"n.Gradients({Name}Out, batch)";

    /// <summary>The output slot of a fused relu, which a conv or dense forward kernel writes.</summary>
    public string ReluY => $"n.Activations({_names.Layer(Step.ReluLayer)}Out, batch)";

    public string Parameter(int p) => $"n.Parameters({_names.Parameter(Index, p)})";

    public string ParameterGradient(int p) => $"n.ParameterGradients({_names.Parameter(Index, p)})";

    public string NoTensor => "n.NoTensor";

    public string Argmax => $"n.Argmax({Name}Argmax, batch)";

    public string Mask => $"n.Mask({Name}Mask, batch)";

    /// <summary>A batchnorm's batch statistics on the device (mean, 1/std and the two sums of its backward).</summary>
    public string Saved => $"n.Saved({Name}Saved)";

    /// <summary>A batchnorm's running statistics and batch counter, in the state arena's order.</summary>
    public string State => $"n.State({Name}State)";

    public bool ReadsNetworkInput(int k = 0) => Layer.Inputs[k] < 0;

    /// <summary>A statement guarded by whether the input gradient of input <paramref name="k"/> is computed:
    /// the network input's is only when the caller asks for it.</summary>
    public string WhenInputGradient(string statement, int k = 0) => ReadsNetworkInput(k) ? "if (inputGradient) " + statement : statement;

    /// <summary>The per-example geometry fields every kernel reads: input C×D×H×W, output F×OD×OH×OW.</summary>
    public List<string> CommonGeometry(TensorShape input)
    {
        var inS = Shapes.Spatial3(input);
        var outS = Shapes.Spatial3(Layer.OutputShape);
        return new List<string>
        {
            $"C = {input.Channels}", $"D = {inS[0]}", $"H = {inS[1]}", $"W = {inS[2]}",
            $"F = {Layer.OutputShape.Channels}", $"OD = {outS[0]}", $"OH = {outS[1]}", $"OW = {outS[2]}",
            $"InElements = {input.ElementCount}", $"OutElements = {Layer.OutputShape.ElementCount}",
        };
    }

    public TensorShape InputShape(int k = 0) => LayerNames.ShapeOf(Planned.Network, Layer.Inputs[k]);
}
