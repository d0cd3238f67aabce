using CnnDsl.Runtime;

namespace CnnDsl.Runtime.Tests;

public class ParameterTests
{
    [Fact]
    public void Parameter_views_its_slice_of_the_arenas()
    {
        var values = new float[10];
        var grads = new float[10];
        var p = new Parameter("conv1.weight", new[] { 2, 3 }, values, grads, 4);
        p.Value[0] = 1f;
        p.Gradient[5] = 2f;
        Assert.Equal(1f, values[4]);
        Assert.Equal(2f, grads[9]);
        Assert.Equal(6, p.Length);
        Assert.Equal(new[] { 2, 3 }, p.Shape);
    }

    [Fact]
    public void Parameter_that_overruns_its_arena_is_rejected_with_sizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Parameter("dense1.bias", new[] { 8 }, new float[5], new float[5], 0));
        Assert.Contains("dense1.bias", ex.Message);
        Assert.Contains("8 elements", ex.Message);
    }
}
