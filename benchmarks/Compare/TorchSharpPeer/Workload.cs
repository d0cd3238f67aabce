using System;
using System.Linq;
using CnnDsl.Benchmarks.Compare;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnDsl.Benchmarks.TorchSharpPeer;

/// <summary>One network, mode and batch size with its fixed random batch, as torch_peer.py's Workload.</summary>
public sealed class Workload
{
    // small, so a fixed batch is not memorised into saturated softmax (benchmarks/Compare/README.md)
    private const double LearningRate = 1e-4;
    private const double Momentum = 0.9;

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Tensor _x;
    private readonly Tensor _labels;
    private readonly optim.Optimizer? _optimizer;
    private readonly bool _train;
    private bool _warmedUp;

    public Workload(string network, string mode, int batch, int seed)
    {
        if (mode is not ("train" or "infer")) throw new ArgumentException($"unknown mode {mode}");
        torch.manual_seed(seed);
        (_model, long[] shape) = Networks.Create(network);
        Parameters = _model.parameters().Sum(p => p.numel());
        _x = torch.rand(new long[] { batch }.Concat(shape).ToArray()) * 2 - 1;
        _labels = torch.randint(Networks.Classes, new long[] { batch });
        _train = mode == "train";
        if (_train)
        {
            _model.train();
            _optimizer = optim.SGD(_model.parameters(), LearningRate, Momentum);
        }
        else
        {
            _model.eval();
        }
    }

    public long Parameters { get; }

    public (long Iterations, double Seconds) MeasureRound(double warmupSeconds, double minSeconds)
    {
        using var mode = _train ? null : torch.inference_mode();
        var result = TimedLoop.MeasureRound(_train ? TrainStep : InferStep, !_warmedUp, warmupSeconds, minSeconds);
        _warmedUp = true;
        return result;
    }

    private void TrainStep()
    {
        // every tensor a step makes is freed at its end, as Python's reference counting would
        using var scope = torch.NewDisposeScope();
        _optimizer!.zero_grad();
        nn.functional.cross_entropy(_model.forward(_x), _labels).backward();
        _optimizer.step();
    }

    private void InferStep()
    {
        using var scope = torch.NewDisposeScope();
        _model.forward(_x);
    }
}
