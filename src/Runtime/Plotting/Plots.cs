using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace CnnDsl.Runtime;

/// <summary>PNG pictures of a training run, drawn with ScottPlot 5 (SkiaSharp; the Linux native library ships in
/// SkiaSharp.NativeAssets.Linux.NoDependencies, so no system fontconfig or freetype is needed).</summary>
public static class Plots
{
    /// <summary>Train loss (left axis) and train/test accuracy in percent (right axis) per epoch.</summary>
    public static void LearningCurve(IReadOnlyList<EpochResult> history, string pngPath, int width = 900, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        double[] epochs = history.Select(h => h.Epoch + 1.0).ToArray();

        var plot = new Plot();
        var loss = plot.Add.Scatter(epochs, history.Select(h => h.TrainLoss).ToArray(), Colors.FireBrick);
        loss.LegendText = "train loss";
        loss.LineWidth = 2;

        var trainAcc = plot.Add.Scatter(epochs, history.Select(h => h.TrainAccuracy * 100).ToArray(), Colors.SteelBlue);
        trainAcc.LegendText = "train accuracy (%)";
        trainAcc.Axes.YAxis = plot.Axes.Right;
        trainAcc.LineWidth = 2;

        if (history.Any(h => h.TestAccuracy is not null))
        {
            var tested = history.Where(h => h.TestAccuracy is not null).ToArray();
            var testAcc = plot.Add.Scatter(tested.Select(h => h.Epoch + 1.0).ToArray(),
                                           tested.Select(h => h.TestAccuracy!.Value * 100).ToArray(), Colors.SeaGreen);
            testAcc.LegendText = "test accuracy (%)";
            testAcc.Axes.YAxis = plot.Axes.Right;
            testAcc.LineWidth = 2;
            testAcc.LinePattern = LinePattern.Dashed;
        }

        plot.Title("Learning curve");
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        Save(plot, pngPath, width, height);
    }

    /// <summary>
    /// The first convolution layer's kernels as a grid of grey images, one per output filter. <paramref name="convWeight"/>
    /// has PyTorch's shape F×C×Kh×Kw; each kernel shows channel 0, or the mean of the channels when C = 3 (RGB), and is
    /// normalised to its own range (black = its minimum, white = its maximum).
    /// </summary>
    public static void KernelGrid(Parameter convWeight, string pngPath, int cellPixels = 48)
    {
        ArgumentNullException.ThrowIfNull(convWeight);
        var shape = convWeight.Shape;
        if (shape.Count != 4)
            throw new ArgumentException($"'{convWeight.Name}' has shape [{string.Join(", ", shape)}]; a 2-D convolution weight is F×C×Kh×Kw.", nameof(convWeight));
        int f = shape[0], c = shape[1], kh = shape[2], kw = shape[3];
        int columns = (int)Math.Ceiling(Math.Sqrt(f));
        int rows = (f + columns - 1) / columns;
        const int gap = 1;
        var image = new double[rows * (kh + gap) + gap, columns * (kw + gap) + gap];
        for (int y = 0; y < image.GetLength(0); y++)
            for (int x = 0; x < image.GetLength(1); x++) image[y, x] = double.NaN;

        ReadOnlySpan<float> w = convWeight.Value;
        var kernel = new double[kh * kw];
        for (int filter = 0; filter < f; filter++)
        {
            int channels = c == 3 ? 3 : 1;
            Array.Clear(kernel);
            for (int ch = 0; ch < channels; ch++)
                for (int i = 0; i < kernel.Length; i++)
                    kernel[i] += w[(filter * c + ch) * kh * kw + i] / channels;
            double min = kernel.Min(), max = kernel.Max(), range = max - min;
            int top = gap + filter / columns * (kh + gap), left = gap + filter % columns * (kw + gap);
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    image[top + y, left + x] = range > 0 ? (kernel[y * kw + x] - min) / range : 0.5;
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(image);
        heatmap.Colormap = new ScottPlot.Colormaps.Grayscale();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.NaNCellColor = Colors.SteelBlue; // gaps: distinct from both black and white kernel pixels
        plot.HideAxesAndGrid();
        plot.Layout.Frameless();
        plot.Axes.Margins(0, 0);
        int pixelsPerCell = Math.Max(4, cellPixels / Math.Max(kh, kw));
        Save(plot, pngPath, image.GetLength(1) * pixelsPerCell, image.GetLength(0) * pixelsPerCell);
    }

    private static void Save(Plot plot, string pngPath, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(pngPath);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        plot.SavePng(pngPath, width, height);
    }
}
