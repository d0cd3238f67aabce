using System;
using CnnDsl.Planning;

namespace CnnDsl.Runtime.Kernels;

/// <summary>How a convolution is computed: the kernel the build-time plan chose (the summary's Kernel column).</summary>
public enum ConvolutionAlgorithm
{
    /// <summary>Forward only: a tiny convolution accumulated in registers over the taps of the padded input.</summary>
    Direct,

    /// <summary>A GEMM over shifted views of the padded input (of its stride phases when strided); no column matrix.</summary>
    ShiftedGemm,

    /// <summary>Each example unfolded into a column matrix, then a GEMM: any padding mode, any size.</summary>
    Im2ColGemm,

    /// <summary>A 1×1 convolution with stride 1 and no padding: the input is the column matrix.</summary>
    PointwiseGemm,
}

/// <summary>What the entry points accept of a chosen algorithm, and the instruction-set fallback.</summary>
internal static class ConvolutionAlgorithms
{
    /// <summary>
    /// The algorithm to run for <paramref name="chosen"/>. The plan chose it from the shapes (src/Dsl/Planning),
    /// with the rules of KernelLimits.cs, which this checks again: a layer the algorithm cannot compute is a
    /// caller's error. The one thing decided here is the machine's: the direct and shifted-view kernels are
    /// float FMA code (AVX2 or AVX-512), so elsewhere, and for double, they fall back to im2col.
    /// </summary>
    public static ConvolutionAlgorithm Runnable<T>(ConvolutionAlgorithm chosen, in ConvGeometry g, bool backward)
    {
        var shape = g.Shape;
        bool fits = chosen switch
        {
            ConvolutionAlgorithm.Direct => !backward && shape.IsTiny,
            ConvolutionAlgorithm.ShiftedGemm => shape.ReadsShiftedViews,
            ConvolutionAlgorithm.PointwiseGemm => shape.IsPointwise,
            ConvolutionAlgorithm.Im2ColGemm => true,
        };
        if (!fits)
            throw new ArgumentException(backward && chosen == ConvolutionAlgorithm.Direct
                ? "the direct algorithm has no backward pass: a direct convolution's backward runs on the shifted views (ShiftedGemm)."
                : $"a convolution of {g.InChannels}×{g.InDepth}×{g.InHeight}×{g.InWidth} with a {g.KernelDepth}×{g.KernelHeight}×{g.KernelWidth} kernel, " +
                  $"stride {g.StrideDepth}×{g.StrideHeight}×{g.StrideWidth}, padding {g.PadDepth}×{g.PadHeight}×{g.PadWidth} ({g.Mode}) and {g.Groups} group(s) " +
                  $"cannot run as {chosen}; the plan chooses it only where it applies.", nameof(chosen));
        bool fma = typeof(T) == typeof(float) && Simd.Current != SimdWidth.Portable;
        return chosen is ConvolutionAlgorithm.Direct or ConvolutionAlgorithm.ShiftedGemm && !fma ? ConvolutionAlgorithm.Im2ColGemm : chosen;
    }
}
