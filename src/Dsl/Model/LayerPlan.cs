namespace CnnDsl.Dsl.Model;

/// <summary>How the CPU back end computes a layer, chosen at build time from its shapes.</summary>
public enum KernelStrategy
{
    /// <summary>Plain loops over the tensor: pooling, activations, normalisation, merges, copies; and the
    /// forward pass of tiny convolutions (1-D or 2-D, no groups, at most 32 taps per filter: input
    /// channels × kernel), accumulated in registers over the taps of the padded input (float with
    /// AVX2+FMA or AVX-512; backward, and other machines, use the shifted-view GEMM).</summary>
    Direct,

    /// <summary>Dense: one matrix product of the batch with the weights.</summary>
    Gemm,

    /// <summary>Conv: each example unfolded into a column matrix (im2col), then a GEMM with the filters.</summary>
    Im2ColGemm,

    /// <summary>Conv with stride 1 and zero padding: the example is padded once and the GEMM reads each
    /// column-matrix row as a shifted view of it (an implicit GEMM), so no column matrix is built. Float
    /// on a machine with AVX2+FMA or AVX-512; otherwise the runtime falls back to im2col.</summary>
    ShiftedGemm,

    /// <summary>1×1 conv with stride 1 and no padding: the input already is the column matrix, so a GEMM reads it directly.</summary>
    PointwiseGemm,

    /// <summary>An activation or pooling its producer's kernel applies (<see cref="LayerPlan.FusedInto"/>): nothing runs for the layer itself.</summary>
    Fused,
}

/// <summary>An activation a conv, dense or batchnorm kernel applies to its result while it is still in cache
/// (the runtime's <c>Epilogue</c>: only relu has one).</summary>
public enum FusedActivation
{
    None,
    Relu,
}

/// <summary>
/// One layer's part of the execution plan. A fused pair is described from both ends: the producer
/// (conv, depthwise conv, dense, batchnorm) names the activation it applies and the activation layer whose output
/// it writes; the activation names the producer it was fused into. Emitters that compute every layer
/// on its own (the GPU back end) may ignore the plan.
/// </summary>
/// <param name="Strategy">The kernel that computes the layer.</param>
/// <param name="Activation">The activation the kernel applies to its output, or None.</param>
/// <param name="ActivationLayer">With an activation: the index of the activation layer whose output this layer writes; −1 otherwise.</param>
/// <param name="FusedInto">For a <see cref="KernelStrategy.Fused"/> activation: the index of the layer that computes it; −1 otherwise.</param>
/// <param name="Description">The plan in words for the summary and generated code, e.g. <c>im2col-gemm + relu</c> or <c>fused into conv1</c>.</param>
public sealed record LayerPlan(KernelStrategy Strategy, FusedActivation Activation, int ActivationLayer, int FusedInto, string Description)
{
    public static LayerPlan Direct { get; } = new(KernelStrategy.Direct, FusedActivation.None, -1, -1, "direct");

    /// <summary>For a conv or batchnorm: the index of the max pooling whose output it writes, pooling each
    /// (activated) output plane while it is still in cache; −1 otherwise. The pooling's plan is
    /// <see cref="KernelStrategy.Fused"/> into this layer.</summary>
    public int PoolLayer { get; init; } = -1;

    public bool HasPool => PoolLayer >= 0;

    public bool IsFused => Strategy == KernelStrategy.Fused;

    public bool HasActivation => Activation != FusedActivation.None;
}
