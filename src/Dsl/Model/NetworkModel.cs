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

    /// <summary>Largest set of activations alive at once during inference, elements per example (tensors
    /// inside a fused chain of the execution plan are never stored, so they do not count).</summary>
    public long PeakActivationElements { get; init; }

    /// <summary>The activations a training step keeps for backward, elements per example: the generated
    /// CPU model's training arena (a fused chain keeps only its last tensor).</summary>
    public long TrainingActivationElements { get; init; }

    /// <summary>A torchinfo-like table of the layers with totals and counting conventions.</summary>
    public string Summary { get; init; } = "";
}
