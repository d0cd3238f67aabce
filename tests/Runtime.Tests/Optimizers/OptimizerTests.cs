namespace CnnDsl.Runtime.Tests.Optimizers;

/// <summary>
/// Each optimizer takes 3 steps on a parameter whose every element starts at 1 with gradients 0.5, −0.3, 0.2;
/// the expected values were computed by hand from PyTorch's update rules (see the class docs) and agree with
/// torch.optim. 37 elements exercise both the Vector&lt;float&gt; body and the scalar tail.
/// </summary>
public class OptimizerTests
{
    private static readonly float[] Gradients = { 0.5f, -0.3f, 0.2f };

    private static Parameter NewParameter(string name = "w", int n = 37)
    {
        var values = new float[n];
        Array.Fill(values, 1f);
        return new Parameter(name, [n], values, new float[n], 0);
    }

    private static void ThreeSteps(IOptimizer optimizer, params double[] expected)
    {
        var p = NewParameter();
        var list = new[] { p };
        for (int t = 0; t < 3; t++)
        {
            p.Gradient.Fill(Gradients[t]);
            optimizer.Step(list);
            foreach (float v in p.Value) Assert.Equal(expected[t], v, 5);
        }
    }

    [Fact] public void Sgd_plain() => ThreeSteps(new Sgd(0.1f), 0.95, 0.98, 0.96);

    [Fact] public void Sgd_momentum() => ThreeSteps(new Sgd(learningRate: 0.1f, momentum: 0.9f), 0.95, 0.935, 0.9015);

    [Fact] public void Sgd_nesterov_with_weight_decay() =>
        ThreeSteps(new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f), 0.9031, 0.91707411, 0.863721158191);

    [Fact] public void Sgd_dampening_and_weight_decay() =>
        ThreeSteps(new Sgd(0.1f, momentum: 0.9f, weightDecay: 0.1f, dampening: 0.5f), 0.94, 0.8963, 0.8424885);

    [Fact] public void Adam_defaults() => ThreeSteps(new Adam(0.1f), 0.900000002, 0.8808501989417752, 0.846107430790882);

    [Fact] public void Adam_l2_weight_decay() =>
        ThreeSteps(new Adam(0.1f, weightDecay: 0.1f), 0.9000000016666666, 0.8613529972101512, 0.8078745546785667);

    [Fact] public void AdamW_decoupled_weight_decay() =>
        ThreeSteps(new AdamW(0.1f, weightDecay: 0.1f), 0.890000002, 0.8619501989217752, 0.8185879287816642);

    [Fact]
    public void The_documented_constructor_call_compiles()
    {
        IOptimizer o = new CnnDsl.Runtime.Sgd(learningRate: 0.01f, momentum: 0.9f);
        Assert.Equal(0.01f, o.LearningRate);
        Assert.Equal(0.01f, new AdamW().WeightDecay);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Steps_after_the_first_allocate_nothing(string kind)
    {
        var ps = new[] { NewParameter("a", 1000), NewParameter("b", 13) };
        IOptimizer o = kind == "sgd" ? new Sgd(0.01f, momentum: 0.9f, nesterov: true) : new Adam();
        o.Step(ps);
        o.Step(ps);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) o.Step(ps);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_different_parameter_list_is_a_clear_error()
    {
        var a = NewParameter("conv1.weight");
        var o = new Adam();
        o.Step(new[] { a });
        o.Step(new List<Parameter> { a }); // another list with the same parameters is fine
        var ex = Assert.Throws<InvalidOperationException>(() => o.Step(new[] { a, NewParameter("fc.bias") }));
        Assert.Contains("1 parameters", ex.Message);
        Assert.Contains("fc.bias", ex.Message);
    }

    [Fact]
    public void State_is_named_like_pytorch_and_restoring_it_continues_identically()
    {
        var p1 = NewParameter("fc.weight");
        var adam = new Adam(0.1f);
        adam.Step(new[] { p1 });
        Assert.Equal(new[] { "fc.weight.exp_avg", "fc.weight.exp_avg_sq" }, adam.State.Select(s => s.Name));

        // Copy the state into a fresh optimizer bound to a copy of the parameter, then step both.
        var p2 = NewParameter("fc.weight");
        p1.Value.CopyTo(p2.Value);
        var resumed = new Adam(0.1f);
        resumed.InitializeState(new[] { p2 });
        for (int i = 0; i < adam.State.Count; i++) adam.State[i].Value.CopyTo(resumed.State[i].Value);
        resumed.StepCount = adam.StepCount;

        p1.Gradient.Fill(-0.3f); p2.Gradient.Fill(-0.3f);
        adam.Step(new[] { p1 });
        resumed.Step(new[] { p2 });
        Assert.Equal(p1.Value.ToArray(), p2.Value.ToArray());
        Assert.Empty(new Sgd(0.1f).State);
    }
}
