using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

/// <summary>A 2-D convolution as the suites name it: batch, input C×H×W, a square kernel, filters.
/// The benchmark tables print <see cref="Name"/>.</summary>
public sealed record ConvolutionShape(string Name, int Batch, int Channels, int Height, int Width, int Filters, int Kernel, int Stride = 1, int Pad = 0)
{
    public ConvGeometry Geometry
    {
        get
        {
            int outHeight = (Height + 2 * Pad - Kernel) / Stride + 1;
            int outWidth = (Width + 2 * Pad - Kernel) / Stride + 1;
            return new ConvGeometry(
                InChannels: Channels, InDepth: 1, InHeight: Height, InWidth: Width,
                OutChannels: Filters, OutDepth: 1, OutHeight: outHeight, OutWidth: outWidth,
                KernelDepth: 1, KernelHeight: Kernel, KernelWidth: Kernel,
                StrideDepth: 1, StrideHeight: Stride, StrideWidth: Stride,
                DilationDepth: 1, DilationHeight: 1, DilationWidth: 1,
                PadDepth: 0, PadHeight: Pad, PadWidth: Pad,
                Groups: 1, Mode: PaddingMode.Zeros);
        }
    }

    /// <summary>The algorithms the plan chooses for this shape (KernelLimits.cs).</summary>
    public ConvolutionAlgorithm ForwardAlgorithm => Of(Shape.Forward);

    public ConvolutionAlgorithm BackwardAlgorithm => Of(Shape.Backward);

    private CnnDsl.Planning.ConvShape Shape
    {
        get
        {
            var g = Geometry;
            return new(g.InChannels, g.InDepth, g.InHeight, g.InWidth, g.OutChannels, g.OutDepth, g.OutHeight, g.OutWidth,
                g.KernelDepth, g.KernelHeight, g.KernelWidth, g.StrideDepth, g.StrideHeight, g.StrideWidth,
                g.DilationDepth, g.DilationHeight, g.DilationWidth, g.PadDepth, g.PadHeight, g.PadWidth, g.Groups, zeroPadding: true);
        }
    }

    private static ConvolutionAlgorithm Of(CnnDsl.Planning.ConvKernel kernel) => kernel switch
    {
        CnnDsl.Planning.ConvKernel.Direct => ConvolutionAlgorithm.Direct,
        CnnDsl.Planning.ConvKernel.ShiftedGemm => ConvolutionAlgorithm.ShiftedGemm,
        CnnDsl.Planning.ConvKernel.Im2ColGemm => ConvolutionAlgorithm.Im2ColGemm,
        CnnDsl.Planning.ConvKernel.PointwiseGemm => ConvolutionAlgorithm.PointwiseGemm,
    };

    public override string ToString() => Name;
}

/// <summary>A fully connected layer: batch × in → out.</summary>
public sealed record DenseShape(string Name, int Batch, int InFeatures, int OutFeatures)
{
    public override string ToString() => Name;
}

/// <summary>A 2-D max pooling with a square window and stride = window.</summary>
public sealed record PoolShape(string Name, int Batch, int Channels, int Height, int Width, int Window)
{
    public PoolGeometry Geometry => new(
        Channels: Channels, InDepth: 1, InHeight: Height, InWidth: Width,
        OutDepth: 1, OutHeight: Height / Window, OutWidth: Width / Window,
        KernelDepth: 1, KernelHeight: Window, KernelWidth: Window,
        StrideDepth: 1, StrideHeight: Window, StrideWidth: Window,
        PadDepth: 0, PadHeight: 0, PadWidth: 0);

    public override string ToString() => Name;
}
