// This file is compiled into CnnDsl.Dsl (the planner decides with it) and CnnDsl.Runtime (the kernel
// entry points check what the generated code asks for with it): one home for the limits both obey.
namespace CnnDsl.Planning
{
    /// <summary>The limits of the CPU convolution kernels.</summary>
    internal static class KernelLimits
    {
        /// <summary>Taps per filter ((C/g)·kernel volume) up to which a convolution reads shifted views of
        /// its padded input: the row-offset table lives on the stack.</summary>
        public const int MaxShiftedTaps = 8192;

        /// <summary>Taps per filter up to which a convolution's forward runs as direct loops over the taps.</summary>
        public const int MaxDirectTaps = 32;

        /// <summary>Input channels up to which a batchnorm takes the weight gradient of the convolution
        /// before it: beyond grey, RGB and RGBA the per-plane dot products cost more than the
        /// convolution's own weight-gradient GEMM saves in memory traffic.</summary>
        public const int MaxChannelsForBatchNormTakingGradient = 4;
    }

    /// <summary>The CPU convolution kernels (the runtime's ConvolutionAlgorithm, the planner's CpuKernel).</summary>
    internal enum ConvKernel
    {
        Direct,
        ShiftedGemm,
        Im2ColGemm,
        PointwiseGemm,
    }

    /// <summary>A convolution's shape in plain numbers (D×H×W with leading ones for 1-D and 2-D), and what
    /// each kernel needs of it.</summary>
    internal readonly struct ConvShape
    {
        public readonly int InChannels, InDepth, InHeight, InWidth, OutChannels, OutDepth, OutHeight, OutWidth;
        public readonly int KernelDepth, KernelHeight, KernelWidth, StrideDepth, StrideHeight, StrideWidth;
        public readonly int DilationDepth, DilationHeight, DilationWidth, PadDepth, PadHeight, PadWidth, Groups;
        public readonly bool ZeroPadding;

        public ConvShape(int inChannels, int inDepth, int inHeight, int inWidth, int outChannels, int outDepth, int outHeight, int outWidth,
            int kernelDepth, int kernelHeight, int kernelWidth, int strideDepth, int strideHeight, int strideWidth,
            int dilationDepth, int dilationHeight, int dilationWidth, int padDepth, int padHeight, int padWidth, int groups, bool zeroPadding)
        {
            InChannels = inChannels; InDepth = inDepth; InHeight = inHeight; InWidth = inWidth;
            OutChannels = outChannels; OutDepth = outDepth; OutHeight = outHeight; OutWidth = outWidth;
            KernelDepth = kernelDepth; KernelHeight = kernelHeight; KernelWidth = kernelWidth;
            StrideDepth = strideDepth; StrideHeight = strideHeight; StrideWidth = strideWidth;
            DilationDepth = dilationDepth; DilationHeight = dilationHeight; DilationWidth = dilationWidth;
            PadDepth = padDepth; PadHeight = padHeight; PadWidth = padWidth;
            Groups = groups;
            ZeroPadding = zeroPadding;
        }

        public long KernelVolume => (long)KernelDepth * KernelHeight * KernelWidth;

        /// <summary>Elements of one filter: (C/g)·Kd·Kh·Kw.</summary>
        public long FilterTaps => (long)(InChannels / System.Math.Max(1, Groups)) * KernelVolume;

        /// <summary>A 1×1 kernel (any dilation: one tap has nothing to dilate) with stride 1 and no leading
        /// padding, whose output has the input's spatial size: the input is its own column matrix.</summary>
        public bool IsPointwise =>
            KernelVolume == 1 && StrideDepth == 1 && StrideHeight == 1 && StrideWidth == 1
            && PadDepth == 0 && PadHeight == 0 && PadWidth == 0
            && InDepth == OutDepth && InHeight == OutHeight && InWidth == OutWidth;

        /// <summary>Zero padding and not pointwise, with at most <see cref="KernelLimits.MaxShiftedTaps"/> taps:
        /// the GEMM can read shifted views of the padded input (of its stride phases when strided).</summary>
        public bool ReadsShiftedViews => ZeroPadding && !IsPointwise && FilterTaps <= KernelLimits.MaxShiftedTaps;

        /// <summary>On the shifted views, 1-D or 2-D (a 3-D kernel and output of depth 1 count), no groups,
        /// at most <see cref="KernelLimits.MaxDirectTaps"/> taps: the forward pass runs as direct loops.</summary>
        public bool IsTiny => ReadsShiftedViews && Groups == 1 && KernelDepth == 1 && OutDepth == 1 && FilterTaps <= KernelLimits.MaxDirectTaps;

        /// <summary>The kernel a convolution of this shape runs forward: the input as its own column matrix where
        /// it is pointwise, else shifted views (direct loops when tiny) where it reads them, else im2col.</summary>
        public ConvKernel Forward => IsPointwise ? ConvKernel.PointwiseGemm
            : ReadsShiftedViews ? (IsTiny ? ConvKernel.Direct : ConvKernel.ShiftedGemm)
            : ConvKernel.Im2ColGemm;

        /// <summary>The kernel of its backward pass: a direct convolution's runs on the shifted views.</summary>
        public ConvKernel Backward => Forward == ConvKernel.Direct ? ConvKernel.ShiftedGemm : Forward;

        /// <summary>1-D or 2-D, stride and dilation 1, zero padding, one group, at most
        /// <see cref="KernelLimits.MaxChannelsForBatchNormTakingGradient"/> input channels: a batchnorm
        /// behind it can add its weight gradient from each dx plane.</summary>
        public bool CanGiveWeightGradientToBatchNorm => WhyNoWeightGradientForBatchNorm() == null;

        /// <summary>Why <see cref="CanGiveWeightGradientToBatchNorm"/> is false, or null.</summary>
        public string? WhyNoWeightGradientForBatchNorm() =>
            !ZeroPadding ? "its padding is not zeros" :
            Groups != 1 ? "it has groups" :
            InChannels < 1 || InChannels > KernelLimits.MaxChannelsForBatchNormTakingGradient
                ? "it has " + InChannels + " input channels, more than " + KernelLimits.MaxChannelsForBatchNormTakingGradient :
            InDepth != 1 || KernelDepth != 1 || OutDepth != 1 ? "it is 3-D" :
            StrideHeight != 1 || StrideWidth != 1 ? "it is strided" :
            DilationHeight != 1 || DilationWidth != 1 ? "it is dilated" :
            PadHeight < 0 || PadWidth < 0 || KernelHeight < 1 || KernelWidth < 1 || OutHeight < 1 || OutWidth < 1 ? "its shape is degenerate" :
            null;
    }

    /// <summary>What a max pooling needs to be computed by the kernel before it.</summary>
    internal static class PoolFusion
    {
        /// <summary>An axis whose windows all end inside the input: no padding, and the last window
        /// (out − 1)·stride + window within it (no ceil-mode overhang).</summary>
        public static bool WindowsInside(int pad, int outSize, int stride, int window, int inSize) =>
            pad == 0 && outSize > 0 && (long)(outSize - 1) * stride + window <= inSize;
    }
}
