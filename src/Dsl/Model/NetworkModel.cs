namespace CnnDsl.Dsl.Model;

/// <summary>A checked network: what the emitters see (and all they see).</summary>
public sealed record NetworkModel
{
    public string Name { get; init; } = "";

    /// <summary>The <c>in</c> clause, or null to use the consuming project's root namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The .cnn file's path as the host gave it, for the generated header.</summary>
    public string SourcePath { get; init; } = "";

    public TensorShape InputShape { get; init; } = TensorShape.Of(1);
    public TensorShape OutputShape { get; init; } = TensorShape.Of(1);

    /// <summary>Layers in execution order; the last one produces the output.</summary>
    public EquatableArray<LayerModel> Layers { get; init; } = EquatableArray<LayerModel>.Empty;

    public long ParameterCount { get; init; }
    public long Macs { get; init; }
}
