using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Planning;

/// <summary>
/// Chooses how the CPU back end computes each layer of a checked network, from its shapes alone:
/// which kernel runs it, which relu layers are folded into the conv, dense or batchnorm kernel before
/// them, and which max poolings into the conv or batchnorm kernel before them (or before their relu).
/// The plan is part of the IR, so the summary can say what the generated code will do and the
/// emitters need not decide it again.
/// </summary>
internal static class ExecutionPlanner
{
    /// <summary>The layers (named, in execution order) with their <see cref="LayerModel.Plan"/> set.</summary>
    public static List<LayerModel> Plan(IReadOnlyList<LayerModel> layers)
    {
        var plans = layers.Select(KernelPlan).ToArray();
        var reads = CountReads(layers);
        for (int p = 0; p < layers.Count; p++)
        {
            int r = FusableRelu(layers, reads, p);
            if (r < 0) continue;
            plans[p] = plans[p] with
            {
                Activation = FusedActivation.Relu,
                ActivationLayer = r,
                Description = plans[p].Description + " + relu",
            };
            plans[r] = new LayerPlan(KernelStrategy.Fused, FusedActivation.None, -1, p, "fused into " + layers[p].Name);
        }
        for (int p = 0; p < layers.Count; p++)
        {
            int q = FusableMaxPool(layers, reads, plans, p);
            if (q < 0) continue;
            plans[p] = plans[p] with { PoolLayer = q, Description = plans[p].Description + " + maxpool" };
            plans[q] = new LayerPlan(KernelStrategy.Fused, FusedActivation.None, -1, p, "fused into " + layers[p].Name);
        }
        return layers.Select((layer, i) => layer with { Plan = plans[i] }).ToList();
    }

    private static LayerPlan KernelPlan(LayerModel layer)
    {
        var strategy = layer.Kind switch
        {
            LayerKind.Conv or LayerKind.DepthwiseConv =>
                IsPointwise(layer) ? KernelStrategy.PointwiseGemm
                : ReadsShiftedViews(layer) ? (IsTiny(layer) ? KernelStrategy.Direct : KernelStrategy.ShiftedGemm)
                : KernelStrategy.Im2ColGemm,
            LayerKind.Dense => KernelStrategy.Gemm,
            _ => KernelStrategy.Direct,
        };
        return new LayerPlan(strategy, FusedActivation.None, -1, -1, Describe(strategy));
    }

    private static string Describe(KernelStrategy strategy) => strategy switch
    {
        KernelStrategy.Gemm => "gemm",
        KernelStrategy.Im2ColGemm => "im2col-gemm",
        KernelStrategy.PointwiseGemm => "pointwise-gemm",
        KernelStrategy.ShiftedGemm => "shifted-gemm",
        KernelStrategy.Fused => "fused",
        _ => "direct",
    };

    /// <summary>
    /// Mirrors <c>Convolution.IsPointwise</c> in src/Runtime/Kernels/Convolution.cs exactly, so the plan
    /// names the path the kernel really takes: a 1×1 kernel (any dilation: one tap has nothing to
    /// dilate) with stride 1 and no leading padding, whose output has the input's spatial size (which
    /// also rules out trailing padding).
    /// </summary>
    private static bool IsPointwise(LayerModel conv) =>
        conv.Kernel.All(k => k == 1)
        && conv.Stride.All(s => s == 1)
        && conv.PadBefore.All(p => p == 0)
        && conv.InputShape.Rank == conv.OutputShape.Rank
        && conv.InputShape.Dimensions.Skip(1).SequenceEqual(conv.OutputShape.Dimensions.Skip(1));

    /// <summary>Mirrors <c>ShiftedInput.Applies</c> in src/Runtime/Kernels/ShiftedInput.cs: zero padding,
    /// not pointwise, at most 8,192 taps per filter (the row-offset table lives on the stack). A strided
    /// layer reads shifted views of its input's stride phases.</summary>
    private static bool ReadsShiftedViews(LayerModel conv) =>
        conv.PaddingMode == PaddingMode.Zeros
        && (long)conv.InputShape.Channels / System.Math.Max(1, conv.Groups) * conv.Kernel.Aggregate(1L, (a, k) => a * k) <= 8192;

    /// <summary>Mirrors <c>Convolution.DirectApplies</c> in src/Runtime/Kernels/ConvolutionDirect.cs (on top of
    /// the shifted-view rule): 1-D or 2-D (a 3-D kernel and output of depth 1 count), no groups, at most
    /// 32 taps per filter. Its forward runs as direct loops over the taps; backward uses the shifted views.</summary>
    private static bool IsTiny(LayerModel conv)
    {
        var kernel = conv.Kernel.ToList();
        var output = conv.OutputShape.Dimensions.Skip(1).ToList();
        bool flat = kernel.Count < 3 || (kernel[0] == 1 && output[0] == 1);
        long taps = conv.InputShape.Channels * conv.Kernel.Aggregate(1L, (a, k) => a * k);
        return flat && conv.Groups == 1 && taps <= 32;
    }

    /// <summary>How many times each layer's output is read, over every layer's inputs (a merge may list one producer twice).</summary>
    private static int[] CountReads(IReadOnlyList<LayerModel> layers)
    {
        var reads = new int[layers.Count];
        foreach (var layer in layers)
            foreach (int producer in layer.Inputs)
                if (producer >= 0 && producer < layers.Count) reads[producer]++;
        return reads;
    }

    /// <summary>
    /// The relu layer that the conv, depthwise conv, dense or batchnorm layer <paramref name="p"/> can compute
    /// itself, or −1. The fused kernel never stores the pre-activation tensor, so the relu must be the
    /// only reader of it; and the producer must not be the network's output or the loss's logits, which
    /// are read from its own slot.
    /// </summary>
    private static int FusableRelu(IReadOnlyList<LayerModel> layers, int[] reads, int p)
    {
        var producer = layers[p];
        if (producer.Kind is not (LayerKind.Conv or LayerKind.DepthwiseConv or LayerKind.Dense or LayerKind.BatchNorm)) return -1;
        if (reads[p] != 1 || IsOutputOrLogits(layers, p)) return -1;
        for (int r = p + 1; r < layers.Count; r++)
        {
            var reader = layers[r];
            if (!reader.Inputs.Contains(p)) continue;
            // Only relu: the runtime's Epilogue has no other activation (leaky relu and elu need their parameters).
            return reader.Kind == LayerKind.Relu && reader.Inputs.Count == 1 ? r : -1;
        }
        return -1;
    }

    /// <summary>
    /// The max pooling that conv or batchnorm <paramref name="p"/> can compute on each plane of its output (after its
    /// fused relu, if any), or −1: the pooling must be the only reader of that output, which is then
    /// never stored, and its windows must stay inside it (no padding, no ceil-mode overhang), as the
    /// runtime's <c>Convolution.CanFuseMaxPool</c> requires. Neither the conv's nor the relu's output
    /// may be the network output or the logits.
    /// </summary>
    private static int FusableMaxPool(IReadOnlyList<LayerModel> layers, int[] reads, LayerPlan[] plans, int p)
    {
        if (layers[p].Kind is not (LayerKind.Conv or LayerKind.BatchNorm)) return -1;
        int written = plans[p].HasActivation ? plans[p].ActivationLayer : p;
        if (reads[written] != 1 || IsOutputOrLogits(layers, p) || IsOutputOrLogits(layers, written)) return -1;
        for (int q = written + 1; q < layers.Count; q++)
        {
            var pool = layers[q];
            if (!pool.Inputs.Contains(written)) continue;
            return pool.Kind == LayerKind.MaxPool && pool.Inputs.Count == 1 && WindowsInside(pool) ? q : -1;
        }
        return -1;
    }

    private static bool WindowsInside(LayerModel pool)
    {
        if (pool.PadBefore.Any(x => x != 0)) return false;
        var input = pool.InputShape.Dimensions;
        var output = pool.OutputShape.Dimensions;
        // spatial axes only (the channel axis comes first); each axis's last window ends inside
        for (int a = 0; a < pool.Kernel.Count; a++)
        {
            int axis = input.Count - pool.Kernel.Count + a;
            if (axis < 1 || (output[axis] - 1) * pool.Stride[a] + pool.Kernel[a] > input[axis]) return false;
        }
        return output.Skip(1).All(d => d > 0);
    }

    /// <summary>The last layer is the output; a final softmax or logsoftmax is fused into the loss, whose logits are its input.</summary>
    private static bool IsOutputOrLogits(IReadOnlyList<LayerModel> layers, int p)
    {
        var last = layers[layers.Count - 1];
        if (p == layers.Count - 1) return true;
        return last.Kind is LayerKind.Softmax or LayerKind.LogSoftmax && last.Inputs.Count > 0 && last.Inputs[0] == p;
    }
}
