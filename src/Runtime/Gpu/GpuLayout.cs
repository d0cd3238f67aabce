namespace CnnDsl.Runtime.Gpu;

/// <summary>Where a tensor lives in a device arena: its offset and elements per example (× batch at run
/// time), or, for batchnorm's statistics and state, absolute.</summary>
public readonly record struct GpuSlot(int Offset, int Elements);

/// <summary>The sizes of a network's device buffers and the tensors the driver reads and writes itself:
/// the input it uploads, the output it downloads, the logits its loss kernel reads; and the batchnorm that
/// sees one value per channel and example, so that training needs a batch of two (null: none).</summary>
public sealed record GpuLayout(
    string NetworkName,
    int InputElements,
    string InputShape,
    int OutputElements,
    string OutputShape,
    int ActivationElements,
    int ArgmaxElements,
    int MaskElements,
    int SavedElements,
    int ParameterElements,
    int StateElements,
    GpuSlot Input,
    GpuSlot Output,
    GpuSlot Logits,
    bool FlatOutput,
    string? BatchNormOverBatch = null);

/// <summary>
/// A network's launch sequence on the GPU, written by the generator from the plan (the model class's
/// nested <c>GpuProgram</c>): which kernels each pass launches, with which geometry and slots.
/// <see cref="GpuNetwork"/> owns the buffers and drives it.
/// </summary>
public abstract class GpuProgram
{
    protected GpuProgram(GpuLayout layout) => Layout = layout;

    public GpuLayout Layout { get; }

    /// <summary>Training mode: batch statistics, dropout; every layer's output kept for backward.</summary>
    public abstract void ForwardTraining(GpuNetwork n, int batch);

    /// <summary>Inference: running statistics, no dropout.</summary>
    public abstract void ForwardInference(GpuNetwork n, int batch);

    /// <summary>Backward from the output's gradient, or from the logits' (<paramref name="fromLogits"/>: the
    /// loss fused a final softmax); the network input's gradient only with <paramref name="inputGradient"/>.
    /// Gradients are added to buffers the caller cleared.</summary>
    public abstract void Backward(GpuNetwork n, int batch, bool fromLogits, bool inputGradient);
}
