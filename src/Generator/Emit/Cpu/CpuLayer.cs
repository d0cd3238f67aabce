using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;

namespace CnnDsl.Generator.Emit.Cpu;

/// <summary>
/// One layer as its CPU emitter sees it: the checked layer, its part of the plan, and the names of what
/// its kernels read and write. The pass methods take their tensors as parameters (<c>x</c>, <c>y</c>,
/// <c>dy</c>, <c>dx</c>; <c>x0</c>, <c>x1</c>, … and <c>dx0</c>, … for merges); parameters, argmax
/// indices, masks and statistics are the named views of the memory plan.
/// </summary>
internal sealed class CpuLayer
{
    private readonly LayerNames _names;

    public CpuLayer(PlannedNetwork planned, LayerNames names, int index)
    {
        _names = names;
        Planned = planned;
        Index = index;
    }

    public PlannedNetwork Planned { get; }

    public int Index { get; }

    public LayerModel Layer => Planned.Network.Layers[Index];

    public LayerStep Step => Planned.Plan.Steps[Index];

    public string Name => Layer.PropertyName;

    public string Geometry => Name + "Geometry";

    /// <summary>A view of the layer's parameter <paramref name="p"/> (<c>Conv1Weight</c>) and of its gradient.</summary>
    public string Parameter(int p) => _names.Parameter(Index, p);

    public string ParameterGradient(int p) => _names.Parameter(Index, p) + "Gradient";

    public string State(int s) => _names.State(Index, s);

    public string Argmax => Name + "Argmax(batch)";

    public string Mask => Name + "Mask(batch)";

    public string SavedMean => Name + "SavedMean";

    public string SavedInvStd => Name + "SavedInvStd";

    /// <summary>The fused max pooling's output argmax and geometry (with <see cref="LayerStep.HasPool"/>).</summary>
    public string PoolArgmax => _names.Layer(Step.PoolLayer) + "Argmax(batch)";

    public string PoolGeometry => _names.Layer(Step.PoolLayer) + "Geometry";

    /// <summary>The relu epilogue argument of a forward kernel.</summary>
    public string Epilogue => Step.HasRelu ? ", K.Epilogue.Relu" : "";

    /// <summary>The relu epilogue arguments of a backward kernel: the activation and its output.</summary>
    public string BackwardEpilogue => Step.HasRelu ? ", K.Epilogue.Relu, y" : "";

    public TensorShape InputShape(int k) => LayerNames.ShapeOf(Planned.Network, Layer.Inputs[k]);

    /// <summary>Whether input <paramref name="k"/> is the network input, whose gradient TrainStep does not compute.</summary>
    public bool ReadsNetworkInput(int k) => Layer.Inputs[k] < 0;
}
