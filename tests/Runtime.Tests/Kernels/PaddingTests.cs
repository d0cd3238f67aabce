using CnnDsl.Runtime.Kernels;

namespace CnnDsl.Runtime.Tests.Kernels;

public class PaddingTests
{
    // Axis of length 4 (elements 0..3), coordinates -5..8 as torch.nn.functional.pad would read them
    // (reflect and circular beyond one period continue periodically instead of raising).
    [Theory]
    [InlineData(PaddingMode.Zeros, new[] { -1, -1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1 })]
    [InlineData(PaddingMode.Reflect, new[] { 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2 })]
    [InlineData(PaddingMode.Replicate, new[] { 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3 })]
    [InlineData(PaddingMode.Circular, new[] { 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0 })]
    public void Map_reads_the_documented_element(PaddingMode mode, int[] expected)
    {
        for (int i = -5; i <= 8; i++)
            Assert.Equal(expected[i + 5], Padding.Map(i, 4, mode));
    }

    [Fact]
    public void Reflect_on_a_single_element_axis_reads_it()
    {
        Assert.Equal(0, Padding.Map(-2, 1, PaddingMode.Reflect));
        Assert.Equal(0, Padding.Map(3, 1, PaddingMode.Reflect));
    }

    [Fact]
    public void Avg_pool_3x3_same_padding_divides_by_nine_everywhere()
    {
        // count_include_pad: on ones, corners see 4 of 9, edges 6 of 9, the centre 9 of 9
        var g = new PoolGeometry(1, 1, 3, 3, 1, 3, 3, 1, 3, 3, 1, 1, 1, 0, 1, 1);
        var x = new double[9]; x.AsSpan().Fill(1);
        var y = new double[9];
        Pooling.AvgForward<double>(x, y, 1, g);
        Assert.Equal(new[] { 4 / 9.0, 6 / 9.0, 4 / 9.0, 6 / 9.0, 1, 6 / 9.0, 4 / 9.0, 6 / 9.0, 4 / 9.0 }, y);
    }
}
