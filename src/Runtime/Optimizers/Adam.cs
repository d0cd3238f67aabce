using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;

namespace CnnDsl.Runtime;

/// <summary>
/// Adam with PyTorch's <c>torch.optim.Adam</c> semantics; weight decay is an L2 term added to the gradient
/// (see <see cref="AdamW"/> for decoupled decay):
/// <code>
/// g = grad + weightDecay·p
/// m = β1·m + (1 − β1)·g;   v = β2·v + (1 − β2)·g²
/// p −= lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// </summary>
public class Adam : Optimizer
{
    private static readonly string[] Keys = { "exp_avg", "exp_avg_sq" };
    private readonly bool _decoupled;

    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0)
        : this(learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false) { }

    private protected Adam(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled)
        : base(learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Must be in [0, 1).");
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Must be non-negative.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Must be non-negative.");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    public override string Algorithm => "adam";
    protected override IReadOnlyList<string> StateKeys => Keys;

    protected override void Update(Parameter parameter, ReadOnlySpan<float[]> state)
    {
        Span<float> p = parameter.Value;
        ReadOnlySpan<float> g = parameter.Gradient;
        Span<float> m = state[0], v = state[1];
        float lr = LearningRate, b1 = Beta1, b2 = Beta2, eps = Epsilon;
        float l2 = _decoupled ? 0 : WeightDecay;
        float shrink = _decoupled ? 1 - lr * WeightDecay : 1;
        float stepSize = (float)(lr / (1 - Math.Pow(b1, StepCount)));
        float invSqrtBc2 = (float)(1 / Math.Sqrt(1 - Math.Pow(b2, StepCount)));

        var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
        var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
        var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        var epsV = new Vector<float>(eps);
        for (int i = 0; i < pv.Length; i++)
        {
            var pi = pv[i] * shrink;
            var gi = gv[i] + l2 * pi;
            var mi = b1 * mv[i] + (1 - b1) * gi;
            var vi = b2 * vv[i] + (1 - b2) * gi * gi;
            mv[i] = mi;
            vv[i] = vi;
            pv[i] = pi - stepSize * mi / (Vector.SquareRoot(vi) * invSqrtBc2 + epsV);
        }
        for (int i = pv.Length * Vector<float>.Count; i < p.Length; i++)
        {
            float pi = p[i] * shrink;
            float gi = g[i] + l2 * pi;
            float mi = b1 * m[i] + (1 - b1) * gi;
            float vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi - stepSize * mi / (MathF.Sqrt(vi) * invSqrtBc2 + eps);
        }
    }
}
