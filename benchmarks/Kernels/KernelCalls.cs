using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

/// <summary>
/// Every call into CnnDsl.Runtime.Kernels that the suites time, in one place, so a change of a
/// kernel's signature is one edit here and nowhere else. The epilogue parameters keep their
/// defaults (none): these time the bare kernels.
/// </summary>
public static class KernelCalls
{
    public static void ConvolutionForward(ConvolutionBuffers b, in ConvGeometry g) =>
        Convolution.Forward<float>(b.Input, b.Weight, b.Bias, b.Output, b.Batch, g);

    // input, weight and bias gradients, as a layer that is not the first one needs
    public static void ConvolutionBackward(ConvolutionBuffers b, in ConvGeometry g) =>
        Convolution.Backward<float>(b.Input, b.Weight, b.OutputGradient, b.InputGradient, b.WeightGradient, b.BiasGradient, b.Batch, g);

    public static void DenseForward(DenseBuffers b) =>
        Dense.Forward<float>(b.Input, b.Weight, b.Bias, b.Output, b.Batch, b.InFeatures, b.OutFeatures);

    public static void DenseBackward(DenseBuffers b) =>
        Dense.Backward<float>(b.Input, b.Weight, b.OutputGradient, b.InputGradient, b.WeightGradient, b.BiasGradient, b.Batch, b.InFeatures, b.OutFeatures);

    public static void MaxPoolForward(float[] input, float[] output, int[] argmax, int batch, in PoolGeometry g) =>
        Pooling.MaxForward<float>(input, output, argmax, batch, g);

    public static void ReluForward(float[] x, float[] y) => Activations.ReluForward<float>(x, y);
}
