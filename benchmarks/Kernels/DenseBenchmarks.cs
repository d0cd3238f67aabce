using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using CnnDsl.Runtime;

namespace CnnDsl.Benchmarks.Kernels;

[MemoryDiagnoser]
public class DenseBenchmarks
{
    public static IEnumerable<DenseShape> Shapes => new DenseShape[]
    {
        new("lenet-dense1 64x400→120", Batch: 64, InFeatures: 400, OutFeatures: 120),
        new("square 64x1024→1024", Batch: 64, InFeatures: 1024, OutFeatures: 1024),
    };

    [ParamsSource(nameof(Shapes))]
    public DenseShape Shape { get; set; } = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    private DenseBuffers _buffers = null!;

    [GlobalSetup]
    public void Setup()
    {
        ComputeThreads.Count = Threads;
        _buffers = new DenseBuffers(Shape);
    }

    [Benchmark]
    public void Forward() => KernelCalls.DenseForward(_buffers);

    [Benchmark]
    public void Backward() => KernelCalls.DenseBackward(_buffers);
}
