using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime;

/// <summary>
/// Stochastic gradient descent with PyTorch's <c>torch.optim.SGD</c> semantics:
/// <code>
/// g = grad + weightDecay·p
/// if momentum ≠ 0: buf = (first step) ? g : momentum·buf + (1 − dampening)·g
///                  g = nesterov ? g + momentum·buf : buf
/// p −= lr·g
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumKeys = { "momentum_buffer" };

    public Sgd(float learningRate, float momentum = 0, bool nesterov = false, float weightDecay = 0, float dampening = 0)
        : base(learningRate)
    {
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Must be non-negative.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Must be non-negative.");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a positive momentum and zero dampening (as in PyTorch).");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        Dampening = dampening;
    }

    public float Momentum { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }
    public float Dampening { get; }
    public override string Algorithm => "sgd";
    protected override IReadOnlyList<string> StateKeys => Momentum == 0 ? Array.Empty<string>() : MomentumKeys;

    protected override void Update(Parameter parameter, ReadOnlySpan<float[]> state)
    {
        Span<float> p = parameter.Value;
        ReadOnlySpan<float> g = parameter.Gradient;
        float lr = LearningRate, wd = WeightDecay, m = Momentum;
        int vectorEnd = p.Length - p.Length % Vector<float>.Count;

        if (m == 0)
        {
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
            for (int i = 0; i < pv.Length; i++) pv[i] -= lr * (gv[i] + wd * pv[i]);
            for (int i = vectorEnd; i < p.Length; i++) p[i] -= lr * (g[i] + wd * p[i]);
            return;
        }

        Span<float> buf = state[0];
        bool first = StepCount == 1;
        float keep = 1 - Dampening;
        {
            var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
            var bv = MemoryMarshal.Cast<float, Vector<float>>(buf);
            for (int i = 0; i < pv.Length; i++)
            {
                var d = gv[i] + wd * pv[i];
                var b = first ? d : m * bv[i] + keep * d;
                bv[i] = b;
                pv[i] -= lr * (Nesterov ? d + m * b : b);
            }
        }
        for (int i = vectorEnd; i < p.Length; i++)
        {
            float d = g[i] + wd * p[i];
            float b = first ? d : m * buf[i] + keep * d;
            buf[i] = b;
            p[i] -= lr * (Nesterov ? d + m * b : b);
        }
    }
}
