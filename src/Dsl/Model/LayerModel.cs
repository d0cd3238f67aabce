namespace CnnDsl.Dsl.Model;

/// <summary>
/// One node of a checked network: resolved attributes, shapes, parameters and cost. Holds no
/// source positions, so an edit that moves text without changing meaning leaves it equal and
/// the generator's emit step cached. Spatial attributes have one entry per spatial dimension.
/// </summary>
public sealed record LayerModel
{
    public int Index { get; init; }
    public string Name { get; init; } = "";
    public string PropertyName { get; init; } = "";
    public LayerKind Kind { get; init; }

    /// <summary>Canonical text of the layer with resolved values, e.g. <c>conv 5x5x6 p2</c>.</summary>
    public string Definition { get; init; } = "";

    /// <summary>Producers of this layer's inputs: indices into the network's layers, −1 for the network input.</summary>
    public EquatableArray<int> Inputs { get; init; } = EquatableArray<int>.Empty;

    public TensorShape InputShape { get; init; } = TensorShape.Of(1);
    public TensorShape OutputShape { get; init; } = TensorShape.Of(1);

    public EquatableArray<int> Kernel { get; init; } = EquatableArray<int>.Empty;
    public EquatableArray<int> Stride { get; init; } = EquatableArray<int>.Empty;
    public EquatableArray<int> Dilation { get; init; } = EquatableArray<int>.Empty;
    public EquatableArray<int> PadBefore { get; init; } = EquatableArray<int>.Empty;
    public EquatableArray<int> PadAfter { get; init; } = EquatableArray<int>.Empty;

    /// <summary>Conv filters, dense units, adaptive pool output per dimension lives in <see cref="Kernel"/>.</summary>
    public int Units { get; init; }
    public int Groups { get; init; } = 1;
    public bool HasBias { get; init; }
    public PaddingMode PaddingMode { get; init; }
    public bool CeilMode { get; init; }

    /// <summary>lppool norm p.</summary>
    public double Norm { get; init; }

    /// <summary>leakyrelu slope, elu alpha, dropout rate.</summary>
    public double Alpha { get; init; }

    public double Epsilon { get; init; }
    public double Momentum { get; init; }

    /// <summary>maxout group size k.</summary>
    public int GroupSize { get; init; }

    /// <summary>True when the weights feed a relu-like activation: He initialisation instead of Glorot.</summary>
    public bool HeInitialization { get; init; }

    public EquatableArray<ParameterModel> Parameters { get; init; } = EquatableArray<ParameterModel>.Empty;
    public EquatableArray<StateModel> State { get; init; } = EquatableArray<StateModel>.Empty;

    public long ParameterCount { get; init; }
    public string ParameterFormula { get; init; } = "";
    public long Macs { get; init; }

    /// <summary>How the CPU back end computes the layer (kernel, fused activation), chosen from the shapes.</summary>
    public LayerPlan Plan { get; init; } = LayerPlan.Direct;
}
