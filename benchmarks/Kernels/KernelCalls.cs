using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

/// <summary>
/// Every call into CnnDsl.Runtime.Kernels that the suites time, in one place, so a change of a
/// kernel's signature is one edit here and nowhere else. The epilogue parameters keep their
/// defaults (none): these time the bare kernels.
/// </summary>
public static class KernelCalls
{
    public static void ConvolutionForward(ConvolutionBuffers b, in ConvGeometry g, ConvolutionAlgorithm algorithm) =>
        Convolution.Forward<float>(b.Input, b.Weight, b.Bias, b.Output, b.Batch, g, algorithm);

    // input, weight and bias gradients, as a layer that is not the first one needs
    public static void ConvolutionBackward(ConvolutionBuffers b, in ConvGeometry g, ConvolutionAlgorithm algorithm) =>
        Convolution.Backward<float>(b.Input, b.Weight, b.OutputGradient, b.InputGradient, b.WeightGradient, b.BiasGradient, b.Batch, g, algorithm);

    public static void DenseForward(DenseBuffers b) =>
        Dense.Forward<float>(b.Input, b.Weight, b.Bias, b.Output, b.Batch, b.InFeatures, b.OutFeatures);

    public static void DenseBackward(DenseBuffers b) =>
        Dense.Backward<float>(b.Input, b.Weight, b.OutputGradient, b.InputGradient, b.WeightGradient, b.BiasGradient, b.Batch, b.InFeatures, b.OutFeatures);

    public static void MaxPoolForward(float[] input, float[] output, int[] argmax, int batch, in PoolGeometry g) =>
        Pooling.MaxForward<float>(input, output, argmax, batch, g);

    public static void ReluForward(float[] x, float[] y) => Activations.ReluForward<float>(x, y);

    // conv → relu → maxpool, as the generated code runs it (one kernel) and as three layers
    public static void ConvolutionReluMaxPool(ConvolutionBuffers b, in ConvGeometry g, ConvolutionAlgorithm algorithm, float[] pooled, int[] argmax, in PoolGeometry pool) =>
        Convolution.ForwardMaxPooled<float>(b.Input, b.Weight, b.Bias, pooled, argmax, b.Batch, g, pool, algorithm, Epilogue.Relu);

    public static void ConvolutionThenReluThenMaxPool(ConvolutionBuffers b, in ConvGeometry g, ConvolutionAlgorithm algorithm, float[] activated, float[] pooled, int[] argmax, in PoolGeometry pool)
    {
        Convolution.Forward<float>(b.Input, b.Weight, b.Bias, b.Output, b.Batch, g, algorithm);
        Activations.ReluForward<float>(b.Output, activated);
        Pooling.MaxForward<float>(activated, pooled, argmax, b.Batch, pool);
    }

    // batchnorm (training) → relu → maxpool, fused and as three layers
    public static void BatchNormReluMaxPool(BatchNormBuffers b, float[] pooled, int[] argmax, in PoolGeometry pool) =>
        BatchNorm.ForwardTrainingMaxPooled<float>(b.Input, pooled, argmax, b.Gamma, b.Beta, b.RunningMean, b.RunningVar, b.SavedMean, b.SavedInvStd,
            b.Batch, b.Channels, b.Spatial, pool, 1e-5f, 0.1f, Epilogue.Relu);

    public static void BatchNormThenReluThenMaxPool(BatchNormBuffers b, float[] activated, float[] pooled, int[] argmax, in PoolGeometry pool)
    {
        BatchNorm.ForwardTraining<float>(b.Input, b.Output, b.Gamma, b.Beta, b.RunningMean, b.RunningVar, b.SavedMean, b.SavedInvStd,
            b.Batch, b.Channels, b.Spatial, 1e-5f, 0.1f);
        Activations.ReluForward<float>(b.Output, activated);
        Pooling.MaxForward<float>(activated, pooled, argmax, b.Batch, pool);
    }
}
