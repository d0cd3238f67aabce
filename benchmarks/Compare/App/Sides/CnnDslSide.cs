using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Runtime.Intrinsics;
using CnnDsl.Runtime;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>The generated CnnDsl models, run in this process.</summary>
public sealed class CnnDslSide : ISide
{
    // The peers' settings (torch_peer.py): a small rate keeps the weights near their initial values
    // over thousands of steps on one fixed batch, so no side drifts into saturated, subnormal numbers.
    private const float LearningRate = 1e-4f;
    private const float Momentum = 0.9f;

    private readonly int _seed;
    private readonly Dictionary<string, (Action Step, long Parameters)> _steps = new();
    private readonly HashSet<string> _warmedUp = new();

    public CnnDslSide(int threads, int seed)
    {
        ComputeThreads.Count = threads;
        _seed = seed;
        string simd = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : $"Vector<float> of {Vector<float>.Count}";
        Description = $"{RunEnvironment.GitRevision()}, .NET {Environment.Version}, {simd}, ComputeThreads.Count {ComputeThreads.Count}";
    }

    public string Name => "CnnDsl";
    public string Description { get; }
    public string? Unavailable => null;

    public Measurement Measure(Workload workload, TimingPlan plan)
    {
        if (!_steps.TryGetValue(workload.Id, out var entry))
            _steps[workload.Id] = entry = CreateStep(workload);
        var (iterations, seconds) = TimedLoop.MeasureRound(entry.Step, _warmedUp.Add(workload.Id), plan.WarmupSeconds, plan.MinSeconds);
        return new Measurement(iterations, seconds, entry.Parameters);
    }

    private (Action Step, long Parameters) CreateStep(Workload workload)
    {
        IModel model = workload.Network.Create(_seed);
        long parameters = model.Parameters.Sum(p => (long)p.Length);
        int batch = workload.Batch;
        var random = new Random(_seed);
        var input = new float[batch * model.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 2 - 1);
        if (workload.Mode == Mode.Infer)
        {
            var output = new float[batch * model.OutputSize];
            return (() => model.Forward(input, output, batch), parameters);
        }
        var labels = new int[batch];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(model.OutputSize);
        var optimizer = new Sgd(LearningRate, Momentum);
        return (() => model.TrainStep(input, labels, batch, optimizer), parameters);
    }

    public void Dispose() { }
}
