namespace CnnDsl.Runtime;

/// <summary>
/// AdamW (PyTorch's <c>torch.optim.AdamW</c>): Adam with decoupled weight decay, applied to the parameter
/// before the Adam update: <c>p ← p·(1 − lr·weightDecay)</c>, and not added to the gradient.
/// </summary>
public sealed class AdamW : Adam
{
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true) { }

    public override string Algorithm => "adamw";
}
