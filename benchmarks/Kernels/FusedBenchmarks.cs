using BenchmarkDotNet.Attributes;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Benchmarks.Kernels;

/// <summary>A layer chain computed by one kernel (what the generated code runs) against the same
/// chain as separate layers: LeNet-5's conv1 → relu → maxpool and FashionNet's batchnorm1 → relu →
/// maxpool, batch 64.</summary>
[MemoryDiagnoser]
public class FusedBenchmarks
{
    [Params(1, 2)]
    public int Threads { get; set; }

    private static readonly ConvolutionShape s_conv = new("lenet-conv1", Batch: 64, Channels: 1, Height: 28, Width: 28, Filters: 6, Kernel: 5, Pad: 2);
    private static readonly PoolShape s_convPool = new("lenet-pool1", Batch: 64, Channels: 6, Height: 28, Width: 28, Window: 2);
    private static readonly PoolShape s_normPool = new("fashionnet-pool1", Batch: 64, Channels: 32, Height: 28, Width: 28, Window: 2);

    private ConvolutionBuffers _conv = null!;
    private BatchNormBuffers _norm = null!;
    private ConvGeometry _convGeometry;
    private PoolGeometry _convPoolGeometry, _normPoolGeometry;
    private float[] _convActivated = null!, _convPooled = null!, _normActivated = null!, _normPooled = null!;
    private int[] _convArgmax = null!, _normArgmax = null!;

    [GlobalSetup]
    public void Setup()
    {
        ComputeThreads.Count = Threads;
        _convGeometry = s_conv.Geometry;
        _convPoolGeometry = s_convPool.Geometry;
        _normPoolGeometry = s_normPool.Geometry;
        _conv = new ConvolutionBuffers(s_conv);
        _convActivated = new float[_conv.Output.Length];
        _convPooled = new float[64 * 6 * _convPoolGeometry.OutSpatial];
        _convArgmax = new int[_convPooled.Length];
        _norm = new BatchNormBuffers(64, 32, 28 * 28);
        _normActivated = new float[_norm.Output.Length];
        _normPooled = new float[64 * 32 * _normPoolGeometry.OutSpatial];
        _normArgmax = new int[_normPooled.Length];
    }

    [Benchmark]
    public void ConvReluMaxPoolFused() => KernelCalls.ConvolutionReluMaxPool(_conv, _convGeometry, s_conv.ForwardAlgorithm, _convPooled, _convArgmax, _convPoolGeometry);

    [Benchmark]
    public void ConvReluMaxPoolSeparate() => KernelCalls.ConvolutionThenReluThenMaxPool(_conv, _convGeometry, s_conv.ForwardAlgorithm, _convActivated, _convPooled, _convArgmax, _convPoolGeometry);

    [Benchmark]
    public void BatchNormReluMaxPoolFused() => KernelCalls.BatchNormReluMaxPool(_norm, _normPooled, _normArgmax, _normPoolGeometry);

    [Benchmark]
    public void BatchNormReluMaxPoolSeparate() => KernelCalls.BatchNormThenReluThenMaxPool(_norm, _normActivated, _normPooled, _normArgmax, _normPoolGeometry);
}
