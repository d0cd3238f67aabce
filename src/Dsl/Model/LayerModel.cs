namespace CnnDsl.Dsl.Model;

/// <summary>
/// One node of a checked network: resolved attributes, shapes, parameters and cost. The set of layer
/// records is closed, one per layer family (src/Dsl/Families): code that treats layers differently
/// dispatches through <see cref="Accept{T}"/>, so a new record that some back end does not handle yet
/// is a compile error there, never a layer that quietly does nothing. Holds no source positions, so an
/// edit that moves text without changing meaning leaves it equal and the generator's emit step cached.
/// Spatial attributes have one entry per spatial dimension.
/// </summary>
public abstract record LayerModel
{
    public int Index { get; init; }
    public string Name { get; init; } = "";
    public string PropertyName { get; init; } = "";

    /// <summary>Canonical text of the layer with resolved values, e.g. <c>conv 5x5x6 p2</c>.</summary>
    public string Definition { get; init; } = "";

    /// <summary>Producers of this layer's inputs: indices into the network's layers, −1 for the network input.</summary>
    public EquatableArray<int> Inputs { get; init; } = EquatableArray<int>.Empty;

    public TensorShape InputShape { get; init; } = TensorShape.Of(1);
    public TensorShape OutputShape { get; init; } = TensorShape.Of(1);

    public EquatableArray<ParameterModel> Parameters { get; init; } = EquatableArray<ParameterModel>.Empty;
    public EquatableArray<StateModel> State { get; init; } = EquatableArray<StateModel>.Empty;

    public long ParameterCount { get; init; }
    public string ParameterFormula { get; init; } = "";
    public long Macs { get; init; }

    /// <summary>The canonical keyword (<c>conv</c>, <c>dwconv</c>, <c>maxpool</c>, …, <c>concat</c>, <c>add</c>):
    /// automatic names are this keyword and an ordinal.</summary>
    public abstract string Keyword { get; }

    public abstract T Accept<T>(ILayerVisitor<T> visitor);
}

/// <summary>One method per layer record: implement it to treat every family, and the compiler lists the
/// families a new record leaves out.</summary>
public interface ILayerVisitor<out T>
{
    T Visit(ConvolutionLayer layer);
    T Visit(PoolingLayer layer);
    T Visit(AdaptivePoolingLayer layer);
    T Visit(MaxoutLayer layer);
    T Visit(ActivationLayer layer);
    T Visit(SoftmaxLayer layer);
    T Visit(BatchNormLayer layer);
    T Visit(DropoutLayer layer);
    T Visit(DenseLayer layer);
    T Visit(ReshapeLayer layer);
    T Visit(MergeLayer layer);
}
