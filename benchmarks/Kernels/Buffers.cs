using System;
using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

/// <summary>Seeded uniform values in [-1, 1): non-zero data, the same on every run.</summary>
public static class RandomData
{
    public static float[] Floats(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}

/// <summary>Everything one convolution's forward and backward read and write.</summary>
public sealed class ConvolutionBuffers
{
    public ConvolutionBuffers(ConvolutionShape shape)
    {
        ConvGeometry g = shape.Geometry;
        Batch = shape.Batch;
        Input = RandomData.Floats(Batch * g.InChannels * g.InSpatial, 1);
        Weight = RandomData.Floats(g.OutChannels * g.FilterSize, 2);
        Bias = RandomData.Floats(g.OutChannels, 3);
        Output = new float[Batch * g.OutChannels * g.OutSpatial];
        OutputGradient = RandomData.Floats(Output.Length, 4);
        InputGradient = new float[Input.Length];
        WeightGradient = new float[Weight.Length];
        BiasGradient = new float[Bias.Length];
    }

    public int Batch { get; }
    public float[] Input { get; }
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] Output { get; }
    public float[] OutputGradient { get; }
    // Backward accumulates into the gradients; over a benchmark's iterations they grow linearly,
    // which stays far from overflow and never reaches subnormal numbers.
    public float[] InputGradient { get; }
    public float[] WeightGradient { get; }
    public float[] BiasGradient { get; }
}

/// <summary>Everything one dense layer's forward and backward read and write.</summary>
public sealed class DenseBuffers
{
    public DenseBuffers(DenseShape shape)
    {
        (Batch, InFeatures, OutFeatures) = (shape.Batch, shape.InFeatures, shape.OutFeatures);
        Input = RandomData.Floats(Batch * InFeatures, 1);
        Weight = RandomData.Floats(OutFeatures * InFeatures, 2);
        Bias = RandomData.Floats(OutFeatures, 3);
        Output = new float[Batch * OutFeatures];
        OutputGradient = RandomData.Floats(Output.Length, 4);
        InputGradient = new float[Input.Length];
        WeightGradient = new float[Weight.Length];
        BiasGradient = new float[Bias.Length];
    }

    public int Batch { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public float[] Input { get; }
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] Output { get; }
    public float[] OutputGradient { get; }
    public float[] InputGradient { get; }
    public float[] WeightGradient { get; }
    public float[] BiasGradient { get; }
}

/// <summary>Everything one batchnorm's training forward reads and writes.</summary>
public sealed class BatchNormBuffers
{
    public BatchNormBuffers(int batch, int channels, int spatial)
    {
        (Batch, Channels, Spatial) = (batch, channels, spatial);
        Input = RandomData.Floats(batch * channels * spatial, 1);
        Output = new float[Input.Length];
        Gamma = RandomData.Floats(channels, 2);
        Beta = RandomData.Floats(channels, 3);
        RunningMean = new float[channels];
        RunningVar = new float[channels];
        Array.Fill(RunningVar, 1f);
        SavedMean = new float[channels];
        SavedInvStd = new float[channels];
    }

    public int Batch { get; }
    public int Channels { get; }
    public int Spatial { get; }
    public float[] Input { get; }
    public float[] Output { get; }
    public float[] Gamma { get; }
    public float[] Beta { get; }
    public float[] RunningMean { get; }
    public float[] RunningVar { get; }
    public float[] SavedMean { get; }
    public float[] SavedInvStd { get; }
}
