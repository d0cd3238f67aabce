using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Planning;

/// <summary>The CPU kernel that computes a layer's forward pass, as the summary's Kernel column names it.</summary>
public enum CpuKernel
{
    /// <summary>Plain loops over the tensor: pooling, activations, normalisation, dropout, merges, copies.</summary>
    Direct,

    /// <summary>A tiny convolution (1-D or 2-D, no groups, at most 32 taps per filter) accumulated in
    /// registers over the taps of the padded input.</summary>
    DirectConvolution,

    /// <summary>A zero-padded convolution as a GEMM that reads shifted views of the padded input (of its
    /// stride phases when strided): no column matrix is built.</summary>
    ShiftedGemm,

    /// <summary>A convolution whose example is unfolded into a column matrix (im2col), then a GEMM.</summary>
    Im2ColGemm,

    /// <summary>A 1×1 convolution with stride 1 and no padding: the input is the column matrix.</summary>
    PointwiseGemm,

    /// <summary>Dense: one matrix product of the batch with the weights.</summary>
    Gemm,

    /// <summary>Computed by the kernel of the layer it is fused into (<see cref="LayerStep.FusedInto"/>).</summary>
    Fused,
}

public static class CpuKernels
{
    /// <summary>The kernel as the summary's Kernel column names it.</summary>
    public static string Name(this CpuKernel kernel) => kernel switch
    {
        CpuKernel.Direct or CpuKernel.DirectConvolution => "direct",
        CpuKernel.ShiftedGemm => "shifted-gemm",
        CpuKernel.Im2ColGemm => "im2col-gemm",
        CpuKernel.PointwiseGemm => "pointwise-gemm",
        CpuKernel.Gemm => "gemm",
        CpuKernel.Fused => "fused",
    };
}

/// <summary>
/// One layer's part of the plan. A fused chain (conv → relu → maxpool) is described from both ends: the
/// producer names what its kernel also computes and the tensor it writes; the fused layers name the
/// producer. Backward hand-offs: a batchnorm may take the weight gradient of the convolution before it
/// (in TrainStep, which needs no input gradient), and may write its input gradient instead of adding to it.
/// </summary>
public sealed record LayerStep
{
    public CpuKernel Kernel { get; init; }

    /// <summary>The kernel of the backward pass: a direct convolution's runs on the shifted views.</summary>
    public CpuKernel BackwardKernel { get; init; }

    /// <summary>The relu layer whose output this layer's kernel writes (relu as its epilogue), or −1.</summary>
    public int ReluLayer { get; init; } = -1;

    /// <summary>The max pooling whose output and argmax this layer's kernel writes, or −1.</summary>
    public int PoolLayer { get; init; } = -1;

    /// <summary>For a <see cref="CpuKernel.Fused"/> layer: the layer whose kernel computes it; −1 otherwise.</summary>
    public int FusedInto { get; init; } = -1;

    /// <summary>The tensor (a layer's output) this layer's kernel writes: its pooling's, else its relu's,
    /// else its own; for a fused layer, the chain's.</summary>
    public int Writes { get; init; }

    /// <summary>A batchnorm: the convolution whose weight gradient its TrainStep backward takes from dx, plane
    /// by plane; −1 otherwise.</summary>
    public int TakesWeightGradientOf { get; init; } = -1;

    /// <summary>A convolution: the batchnorm that takes its weight gradient in TrainStep; −1 otherwise.</summary>
    public int WeightGradientTakenBy { get; init; } = -1;

    /// <summary>A batchnorm that writes its input gradient, because nothing else adds to that range
    /// (which ZeroGradients then leaves alone).</summary>
    public bool OverwritesInputGradient { get; init; }

    /// <summary>The plan in words for the summary and the generated code: <c>shifted-gemm + relu + maxpool</c>, <c>fused into conv1</c>.</summary>
    public string Description { get; init; } = "";

    public bool IsFused => Kernel == CpuKernel.Fused;

    public bool HasRelu => ReluLayer >= 0;

    public bool HasPool => PoolLayer >= 0;
}

/// <summary>Where a layer's backward state and learned tensors live: offsets per example (argmax,
/// dropout mask) or absolute (batchnorm's saved batch statistics, parameters, state); −1 where it has none.</summary>
public sealed record LayerMemory(int ArgmaxOffset, int MaskOffset, int SavedOffset, EquatableArray<int> ParameterOffsets, EquatableArray<int> StateOffsets);

/// <summary>One stored tensor of an arena: the layer whose output it is (−1: the network input), where it
/// starts, its elements per example, and the layers whose work it holds (<c>conv1 → relu1 → maxpool1</c>).</summary>
public sealed record TensorSlot(int Tensor, int Offset, int Elements, string Writers);

/// <summary>An activation arena, elements per example (the run-time batch size multiplies them).</summary>
public sealed record Arena(EquatableArray<TensorSlot> Slots, EquatableArray<int> Offsets, int Elements)
{
    /// <summary>Where tensor <paramref name="producer"/> (−1: the network input) starts, or −1 when it is
    /// never stored (inside a fused chain).</summary>
    public int OffsetOf(int producer) => Offsets[producer + 1];
}

/// <summary>A plan note (CNN4003): a fusion or fast path the planner declined, and why.</summary>
public sealed record PlanNote(int Layer, string Message);

/// <summary>How the GPU back end runs one layer.</summary>
public sealed record GpuStep
{
    /// <summary>A conv or dense whose forward kernel applies the relu of <see cref="ReluLayer"/> and writes its slot.</summary>
    public int ReluLayer { get; init; } = -1;

    /// <summary>A relu computed by its producer's forward kernel (its backward kernel still runs).</summary>
    public bool ForwardFused { get; init; }

    /// <summary>A convolution with non-zero padding: its input gradient is scattered from each output
    /// (atomics) instead of gathered per input element.</summary>
    public bool ScatterInputGradient { get; init; }

    /// <summary>Where a batchnorm's batch statistics live in the GPU's saved buffer, or −1.</summary>
    public int SavedOffset { get; init; } = -1;

    /// <summary>The kernels in words, for the generated code's comments.</summary>
    public string Description { get; init; } = "";
}

/// <summary>The GPU launch plan: a step per layer and the device arena (every layer keeps its own output
/// slot, since each GPU kernel computes one layer; the gradient arena has the same layout).</summary>
public sealed record GpuPlan(EquatableArray<GpuStep> Steps, Arena Activations, int SavedElements);

/// <summary>
/// The execution plan of a checked network, made once after checking: per layer the kernel and the
/// fusions, the memory of training and of inference, the GPU launch plan, and the fusions it declined.
/// The summary, the info diagnostics and both emitters read it; nothing decides these again.
/// </summary>
public sealed record NetworkPlan
{
    public EquatableArray<LayerStep> Steps { get; init; } = EquatableArray<LayerStep>.Empty;

    public EquatableArray<LayerMemory> Memory { get; init; } = EquatableArray<LayerMemory>.Empty;

    /// <summary>What a training step keeps for backward (and, with the same layout, the gradients).</summary>
    public Arena Training { get; init; } = null!;

    /// <summary>What Forward keeps: a tensor's slot is reused once its last reader has run.</summary>
    public Arena Inference { get; init; } = null!;

    public int ArgmaxElements { get; init; }
    public int MaskElements { get; init; }
    public int SavedElements { get; init; }
    public int ParameterElements { get; init; }
    public int StateElements { get; init; }

    /// <summary>The layer whose output the training loss treats as logits: the last layer, or the input of a
    /// final softmax/logsoftmax (the loss fuses it). −1: the network input.</summary>
    public int LossProducer { get; init; }

    public GpuPlan Gpu { get; init; } = null!;

    public EquatableArray<PlanNote> Notes { get; init; } = EquatableArray<PlanNote>.Empty;
}

/// <summary>A checked network with its plan and the summary that describes both.</summary>
public sealed record PlannedNetwork(NetworkModel Network, NetworkPlan Plan, string Summary);
