using System;
using System.Collections.Generic;
using System.IO;

namespace CnnDsl.Runtime;

/// <summary>
/// Images and labels in memory: images are float32, N×C×H×W row-major (PyTorch's layout),
/// already normalised as <c>(pixel/255 - mean) / std</c>; labels are class indices.
/// </summary>
public sealed class Dataset
{
    public Dataset(float[] images, int[] labels, int channels, int height, int width, int classCount,
                   IReadOnlyList<string>? classNames = null, float zeroPixelValue = 0f)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"Image dimensions must be positive, got {channels}x{height}x{width}.");
        if (classCount <= 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Must be positive.");
        long sample = (long)channels * height * width;
        if (images.Length != labels.Length * sample)
            throw new ArgumentException($"{labels.Length} labels of {channels}x{height}x{width} images need {labels.Length * sample} floats, but {images.Length} were given.");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Label {labels[i]} at index {i} is outside 0..{classCount - 1}.");
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{classNames.Count} class names given for {classCount} classes.");

        Images = images;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassCount = classCount;
        ClassNames = classNames;
        ZeroPixelValue = zeroPixelValue;
    }

    /// <summary>N×C×H×W normalised pixels.</summary>
    public float[] Images { get; }
    public int[] Labels { get; }
    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int SampleSize => Channels * Height * Width;
    public int ClassCount { get; }
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The normalised value of a black (0) pixel, <c>-mean/std</c>: what shifted-in pixels are filled with.</summary>
    public float ZeroPixelValue { get; }

    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(index * SampleSize, SampleSize);

    /// <summary>
    /// Builds a data set from an IDX image file (N×H×W or N×C×H×W unsigned bytes) and an IDX label file (N
    /// unsigned bytes), normalising each pixel as <c>(pixel/255 - mean) / std</c>.
    /// </summary>
    public static Dataset FromIdx(IdxFile images, IdxFile labels, float mean, float std, int classCount,
                                  IReadOnlyList<string>? classNames = null)
    {
        if (std <= 0) throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be positive.");
        if (images.ElementType != 0x08)
            throw new InvalidDataException($"IDX file '{images.Path}': images must be unsigned bytes (type 0x08), found type 0x{images.ElementType:x2}.");
        if (labels.ElementType != 0x08)
            throw new InvalidDataException($"IDX file '{labels.Path}': labels must be unsigned bytes (type 0x08), found type 0x{labels.ElementType:x2}.");
        if (labels.Dimensions.Count != 1)
            throw new InvalidDataException($"IDX file '{labels.Path}': labels must have 1 dimension, found {labels.Dimensions.Count}.");
        var d = images.Dimensions;
        if (d.Count != 3 && d.Count != 4)
            throw new InvalidDataException($"IDX file '{images.Path}': images must have 3 (N×H×W) or 4 (N×C×H×W) dimensions, found {d.Count}.");
        int n = d[0];
        if (labels.Dimensions[0] != n)
            throw new InvalidDataException($"'{images.Path}' has {n} images but '{labels.Path}' has {labels.Dimensions[0]} labels.");
        int c = d.Count == 4 ? d[1] : 1, h = d[^2], w = d[^1];

        var pixels = new float[images.Data.Length];
        float scale = 1f / (255f * std), offset = -mean / std;
        byte[] src = images.Data;
        for (int i = 0; i < src.Length; i++) pixels[i] = src[i] * scale + offset;

        var labelValues = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = labels.Data[i];
            if (label >= classCount)
                throw new InvalidDataException($"IDX file '{labels.Path}': label {label} at index {i} is outside 0..{classCount - 1}.");
            labelValues[i] = label;
        }
        return new Dataset(pixels, labelValues, c, h, w, classCount, classNames, offset);
    }
}
