using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    public static IEnumerable<ConvolutionShape> Shapes => new ConvolutionShape[]
    {
        // tiny first layers (the direct strategy: at most 32 taps per filter)
        new("lenet-conv1 64x1x28x28 k5p2 f6", Batch: 64, Channels: 1, Height: 28, Width: 28, Filters: 6, Kernel: 5, Pad: 2),
        new("vgg-conv1 16x3x32x32 k3p1 f32", Batch: 16, Channels: 3, Height: 32, Width: 32, Filters: 32, Kernel: 3, Pad: 1),
        // LeNet-5's second convolution at its training batch
        new("lenet-conv2 64x6x14x14 k5 f16", Batch: 64, Channels: 6, Height: 14, Width: 14, Filters: 16, Kernel: 5),
        // the VGG-ish net's second stage
        new("vgg 16x64x16x16 k3p1 f64", Batch: 16, Channels: 64, Height: 16, Width: 16, Filters: 64, Kernel: 3, Pad: 1),
        // a pointwise convolution (the kernel reads the input itself as its column matrix)
        new("1x1 16x64x16x16 f128", Batch: 16, Channels: 64, Height: 16, Width: 16, Filters: 128, Kernel: 1),
    };

    [ParamsSource(nameof(Shapes))]
    public ConvolutionShape Shape { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    private ConvolutionBuffers _buffers = null!;
    private ConvGeometry _geometry;
    private ConvolutionAlgorithm _forward, _backward;

    [GlobalSetup]
    public void Setup()
    {
        ComputeThreads.Count = Threads;
        _geometry = Shape.Geometry;
        (_forward, _backward) = (Shape.ForwardAlgorithm, Shape.BackwardAlgorithm);
        _buffers = new ConvolutionBuffers(Shape);
    }

    [Benchmark]
    public void Forward() => KernelCalls.ConvolutionForward(_buffers, _geometry, _forward);

    [Benchmark]
    public void Backward() => KernelCalls.ConvolutionBackward(_buffers, _geometry, _backward);
}
