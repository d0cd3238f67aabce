namespace CnnDsl.Runtime.Tests.Optimizers;

public class ScheduleTests
{
    [Fact]
    public void Step_decay_multiplies_by_gamma_every_step_size_epochs()
    {
        var s = new StepDecay(0.1f, stepSize: 2, gamma: 0.5f);
        Assert.Equal(new[] { 0.1f, 0.1f, 0.05f, 0.05f, 0.025f }, Enumerable.Range(0, 5).Select(s.LearningRateAt), new Close());
    }

    [Fact]
    public void Cosine_annealing_goes_from_base_to_min()
    {
        var s = new CosineAnnealing(0.1f, totalEpochs: 4, minRate: 0.01f);
        Assert.Equal(0.1f, s.LearningRateAt(0), 6);
        Assert.Equal(0.055f, s.LearningRateAt(2), 6);
        Assert.Equal(0.01f, s.LearningRateAt(4), 6);
        Assert.Equal(0.01f, s.LearningRateAt(9), 6);
    }

    [Fact]
    public void Warmup_ramps_linearly_then_hands_over_with_its_own_clock()
    {
        var s = new LinearWarmup(new CosineAnnealing(0.1f, totalEpochs: 2), warmupEpochs: 2, startFactor: 0.5f);
        Assert.Equal(new[] { 0.05f, 0.075f, 0.1f, 0.05f, 0f }, Enumerable.Range(0, 5).Select(s.LearningRateAt), new Close());
        var w = new LinearWarmup(new StepDecay(1f, 1, 0.5f), 1, 0.25f);
        Assert.Equal(new[] { 0.25f, 1f, 0.5f }, Enumerable.Range(0, 3).Select(w.LearningRateAt), new Close());
    }

    private sealed class Close : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) < 1e-6f;
        public int GetHashCode(float f) => 0;
    }
}
