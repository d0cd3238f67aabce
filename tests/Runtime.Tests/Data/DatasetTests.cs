namespace CnnDsl.Runtime.Tests.Data;

public class DatasetTests
{
    [Fact]
    public void FromIdx_normalises_pixels_and_reads_labels()
    {
        using var files = new IdxTestFiles();
        var images = IdxReader.Read(files.Write("i", IdxTestFiles.Idx(0x08, [2, 1, 2], [0, 255, 51, 102])));
        var labels = IdxReader.Read(files.Write("l", IdxTestFiles.Idx(0x08, [2], [3, 9])));

        var ds = Dataset.FromIdx(images, labels, mean: 0.5f, std: 0.25f, classCount: 10);

        Assert.Equal(2, ds.Count);
        Assert.Equal((1, 1, 2), (ds.Channels, ds.Height, ds.Width));
        Assert.Equal(new[] { -2f, 2f, -1.2f, -0.4f }, ds.Images, (a, b) => Math.Abs(a - b) < 1e-5f);
        Assert.Equal(new[] { 3, 9 }, ds.Labels);
        Assert.Equal(-2f, ds.ZeroPixelValue, 5);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        using var files = new IdxTestFiles();
        var images = IdxReader.Read(files.Write("i", IdxTestFiles.Idx(0x08, [2, 1, 1], [0, 1])));
        var labels = IdxReader.Read(files.Write("l", IdxTestFiles.Idx(0x08, [3], [0, 1, 2])));
        var ex = Assert.Throws<InvalidDataException>(() => Dataset.FromIdx(images, labels, 0, 1, 10));
        Assert.Contains("2 images", ex.Message);
        Assert.Contains("3 labels", ex.Message);
    }

    [Fact]
    public void Real_fashion_mnist_loads_when_installed()
    {
        if (!Directory.Exists(FashionMnistLocator.SystemDirectoryDefault)) return; // Debian's dataset-fashion-mnist absent
        var (train, test) = FashionMnist.Load(FashionMnistLocator.SystemDirectoryDefault);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal((1, 28, 28), (train.Channels, train.Height, train.Width));
        double mean = train.Images.Average(v => (double)v);
        Assert.InRange(mean, -0.05, 0.05); // normalised with the training set's own statistics
        Assert.Equal(Enumerable.Repeat(6000, 10), train.Labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()));
    }
}
