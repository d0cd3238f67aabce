using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

[MemoryDiagnoser]
public class PoolingBenchmarks
{
    public static IEnumerable<PoolShape> Shapes => new PoolShape[]
    {
        new("lenet-pool1 64x6x28x28 /2", Batch: 64, Channels: 6, Height: 28, Width: 28, Window: 2),
        new("vgg-pool1 16x32x32x32 /2", Batch: 16, Channels: 32, Height: 32, Width: 32, Window: 2),
    };

    [ParamsSource(nameof(Shapes))]
    public PoolShape Shape { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _input = null!, _output = null!;
    private int[] _argmax = null!;
    private PoolGeometry _geometry;

    [GlobalSetup]
    public void Setup()
    {
        ComputeThreads.Count = Threads;
        _geometry = Shape.Geometry;
        _input = RandomData.Floats(Shape.Batch * Shape.Channels * _geometry.InSpatial, 1);
        _output = new float[Shape.Batch * Shape.Channels * _geometry.OutSpatial];
        _argmax = new int[_output.Length];
    }

    [Benchmark]
    public void MaxForward() => KernelCalls.MaxPoolForward(_input, _output, _argmax, Shape.Batch, _geometry);
}

[MemoryDiagnoser]
public class ActivationBenchmarks
{
    // the activations after LeNet-5's first convolution (batch 64) and the VGG-ish net's first (batch 16)
    [Params(64 * 6 * 28 * 28, 16 * 32 * 32 * 32)]
    public int Elements { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        ComputeThreads.Count = Threads;
        _x = RandomData.Floats(Elements, 1);
        _y = new float[Elements];
    }

    [Benchmark]
    public void ReluForward() => KernelCalls.ReluForward(_x, _y);
}
