using System.Collections.Generic;
using System.IO;

namespace CnnDsl.Runtime;

/// <summary>
/// Fashion-MNIST (Zalando): 60,000 training and 10,000 test images, 1×28×28, ten classes.
/// Files are found (or downloaded) by <see cref="FashionMnistLocator"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Mean of the training pixels scaled to [0, 1] (the usual torchvision Normalize value).</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float Std = 0.3530f;

    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>Loads both splits, normalised with <paramref name="mean"/> and <paramref name="std"/>.</summary>
    /// <param name="dataDirectory">An explicit directory (the <c>--data DIR</c> option); null to search the
    /// usual places (see <see cref="FashionMnistLocator"/>).</param>
    /// <param name="locator">How to find or download the files; null for the default locator.</param>
    /// <param name="mean">Pixel mean on the [0, 1] scale.</param>
    /// <param name="std">Pixel standard deviation on the [0, 1] scale.</param>
    public static (Dataset Train, Dataset Test) Load(string? dataDirectory = null, FashionMnistLocator? locator = null,
                                                     float mean = Mean, float std = Std)
    {
        string dir = (locator ?? new FashionMnistLocator()).Locate(dataDirectory);
        return (LoadSplit(dir, "train", mean, std), LoadSplit(dir, "t10k", mean, std));
    }

    /// <summary>Loads one split (<c>train</c> or <c>t10k</c>) from a directory that holds its files.</summary>
    public static Dataset LoadSplit(string directory, string split, float mean = Mean, float std = Std)
    {
        var images = IdxReader.Read(FashionMnistLocator.FindFile(directory, $"{split}-images-idx3-ubyte")
            ?? throw new FileNotFoundException($"'{directory}' has no {split}-images-idx3-ubyte(.gz)."));
        var labels = IdxReader.Read(FashionMnistLocator.FindFile(directory, $"{split}-labels-idx1-ubyte")
            ?? throw new FileNotFoundException($"'{directory}' has no {split}-labels-idx1-ubyte(.gz)."));
        return Dataset.FromIdx(images, labels, mean, std, 10, ClassNames);
    }
}
