namespace CnnDsl.Runtime.Tests.Plotting;

public class PlotsTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from a PNG's IHDR chunk, after checking the signature and chunk type.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, b[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(b, b.Length - 8, 4));
        return (b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23]);
    }

    [Fact]
    public void Writes_a_learning_curve_and_a_kernel_grid_as_valid_pngs()
    {
        // Set CNNDSL_PLOT_DIR to keep the pictures for a look.
        string? keep = Environment.GetEnvironmentVariable("CNNDSL_PLOT_DIR");
        string dir = keep ?? Directory.CreateTempSubdirectory("cnndsl-plots-").FullName;
        try
        {
            var history = Enumerable.Range(0, 8).Select(e => new EpochResult(
                e, 0.01f, 1.2 / (e + 1), 0.6 + 0.04 * e, 0.58 + 0.037 * e, null, 3.5, 20000)).ToList();
            string curve = Path.Combine(dir, "learning-curve.png");
            Plots.LearningCurve(history, curve);

            // Eight 5×5 kernels: oriented gradients, a centre spot, a checkerboard, and a constant one.
            var values = new float[8 * 1 * 5 * 5];
            for (int f = 0; f < 8; f++)
                for (int y = 0; y < 5; y++)
                    for (int x = 0; x < 5; x++)
                        values[f * 25 + y * 5 + x] = f switch
                        {
                            0 => x, 1 => y, 2 => x + y, 3 => x - y,
                            4 => -((x - 2) * (x - 2) + (y - 2) * (y - 2)),
                            5 => (x + y) % 2, 6 => 3f, _ => 100 * MathF.Sin(x) * MathF.Cos(y),
                        };
            var weight = new Parameter("conv1.weight", [8, 1, 5, 5], values, new float[values.Length], 0);
            string grid = Path.Combine(dir, "kernels.png");
            Plots.KernelGrid(weight, grid);
            if (keep is not null) Plots.KernelGrid(weight, Path.Combine(dir, "kernels-large.png"), cellPixels: 250);

            var (cw, ch) = PngSize(curve);
            Assert.Equal((900, 500), (cw, ch));
            Assert.InRange(new FileInfo(curve).Length, 10_000, 2_000_000);
            var (gw, gh) = PngSize(grid);
            Assert.Equal((19 * 9, 19 * 9), (gw, gh)); // 3×3 cells of 5 pixels plus 1-pixel gaps, 48/5 = 9 screen pixels each
            Assert.InRange(new FileInfo(grid).Length, 200, 1_000_000);

            // RGB kernels are averaged over channels.
            var rgb = new Parameter("conv1.weight", [4, 3, 3, 3], Enumerable.Range(0, 108).Select(i => (float)i).ToArray(), new float[108], 0);
            Plots.KernelGrid(rgb, Path.Combine(dir, "rgb.png"));
            PngSize(Path.Combine(dir, "rgb.png"));

            var ex = Assert.Throws<ArgumentException>(() => Plots.KernelGrid(new Parameter("fc.weight", [2, 3], new float[6], new float[6], 0), grid));
            Assert.Contains("fc.weight", ex.Message);
        }
        finally
        {
            if (keep is null) Directory.Delete(dir, true);
        }
    }
}
