namespace CnnDsl.Runtime.Tests.Data;

public class DataLoaderTests
{
    private static Dataset Numbered(int n, int c = 1, int h = 2, int w = 2)
    {
        int size = c * h * w;
        var images = new float[n * size];
        for (int i = 0; i < n; i++) images.AsSpan(i * size, size).Fill(i);
        return new Dataset(images, Enumerable.Range(0, n).Select(i => i % 10).ToArray(), c, h, w, 10);
    }

    private static List<int> Order(DataLoader loader, int epoch)
    {
        var seen = new List<int>();
        loader.StartEpoch(epoch);
        while (loader.MoveNext())
            for (int b = 0; b < loader.BatchSize; b++) seen.Add((int)loader.Input[b * loader.Data.SampleSize]);
        return seen;
    }

    [Fact]
    public void Each_epoch_is_a_seeded_permutation_with_a_short_last_batch()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, seed: 7);
        var e0 = Order(loader, 0);
        Assert.Equal(Enumerable.Range(0, 10), e0.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), e0);
        Assert.NotEqual(e0, Order(loader, 1));
        Assert.Equal(e0, Order(new DataLoader(Numbered(10), batchSize: 4, seed: 7), 0));
        Assert.NotEqual(e0, Order(new DataLoader(Numbered(10), batchSize: 4, seed: 8), 0));
        Assert.Equal(3, loader.BatchCount);

        loader.StartEpoch(0);
        var sizes = new List<int>();
        while (loader.MoveNext())
        {
            sizes.Add(loader.BatchSize);
            for (int b = 0; b < loader.BatchSize; b++)
                Assert.Equal((int)loader.Input[b * 4] % 10, loader.Labels[b]); // label travels with its image
        }
        Assert.Equal(new[] { 4, 4, 2 }, sizes);
    }

    [Fact]
    public void Drop_last_and_no_shuffle()
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, shuffle: false, dropLast: true);
        Assert.Equal(Enumerable.Range(0, 8), Order(loader, 3));
        Assert.Equal(2, loader.BatchCount);
    }

    [Fact]
    public void Iterating_allocates_nothing_per_batch()
    {
        var loader = new DataLoader(Numbered(1000, 1, 8, 8), batchSize: 32, seed: 1,
                                    augmentation: new DataAugmentation(HorizontalFlip: true, MaxShift: 2));
        float sum = 0;
        loader.StartEpoch(0);
        while (loader.MoveNext()) sum += loader.Input[0]; // warm up (JIT)

        loader.StartEpoch(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int batches = 0;
        while (loader.MoveNext()) { sum += loader.Input[0] + loader.Labels[0]; batches++; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(32, batches);
        Assert.Equal(0, allocated);
        Assert.True(sum >= 0);
    }

    [Fact]
    public void Flip_mirrors_rows_and_shift_fills_with_black()
    {
        // One 1×3×3 image with pixels 1..9; ZeroPixelValue -5 marks filled pixels.
        var ds = new Dataset([1, 2, 3, 4, 5, 6, 7, 8, 9], [0], 1, 3, 3, 10, zeroPixelValue: -5f);
        var flips = new HashSet<string>();
        var loader = new DataLoader(ds, 1, seed: 3, augmentation: new DataAugmentation(HorizontalFlip: true));
        for (int e = 0; e < 40; e++)
        {
            loader.StartEpoch(e);
            loader.MoveNext();
            flips.Add(string.Join(",", loader.Input.ToArray()));
        }
        Assert.Equal(new HashSet<string> { "1,2,3,4,5,6,7,8,9", "3,2,1,6,5,4,9,8,7" }, flips);

        var shifts = new HashSet<string>();
        loader = new DataLoader(ds, 1, seed: 3, augmentation: new DataAugmentation(MaxShift: 1));
        for (int e = 0; e < 200; e++)
        {
            loader.StartEpoch(e);
            loader.MoveNext();
            shifts.Add(string.Join(",", loader.Input.ToArray()));
        }
        Assert.Equal(9, shifts.Count); // every (dx, dy) in {-1,0,1}²
        Assert.Contains("1,2,3,4,5,6,7,8,9", shifts);
        Assert.Contains("-5,-5,-5,-5,1,2,-5,4,5", shifts); // shifted right and down by one
        Assert.Contains("5,6,-5,8,9,-5,-5,-5,-5", shifts); // shifted left and up by one
    }
}
