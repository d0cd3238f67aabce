using System;

namespace CnnDsl.Runtime;

/// <summary>
/// The argument checks of a model's public methods, one home for the CPU and the GPU back ends: every
/// wrong size is an <see cref="ArgumentException"/> that names both sizes, thrown before anything is written.
/// </summary>
public static class ModelChecks
{
    /// <summary>An input of <paramref name="inputElements"/> and an output of <paramref name="outputElements"/>
    /// per example, for <paramref name="batchSize"/> examples, and arenas of <paramref name="arenaElements"/> per
    /// example that an array can hold.</summary>
    public static void Buffers(string network, int inputLength, int outputLength, int batchSize, int inputElements, string inputShape,
        int outputElements, string outputShape, long arenaElements)
    {
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, not {batchSize}.", nameof(batchSize));
        if (batchSize * arenaElements > Array.MaxLength)
            throw new ArgumentException($"batchSize {batchSize} needs {batchSize * arenaElements:N0} activation elements for {network}, more than an array can hold.", nameof(batchSize));
        if (inputLength != (long)inputElements * batchSize)
            throw new ArgumentException($"input has {inputLength} elements but batch {batchSize} × {inputElements} ({inputShape}) = {(long)inputElements * batchSize} were expected.", "input");
        if (outputLength != (long)outputElements * batchSize)
            throw new ArgumentException($"output has {outputLength} elements but batch {batchSize} × {outputElements} ({outputShape}) = {(long)outputElements * batchSize} were expected.", "output");
    }

    /// <summary>One label per example, each a class of the network.</summary>
    public static void Labels(string network, ReadOnlySpan<int> labels, int batchSize, int classes)
    {
        if (labels.Length != batchSize)
            throw new ArgumentException($"labels has {labels.Length} elements but the batch has {batchSize} examples.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), $"label {labels[i]} of example {i} is not a class of {network} (0 to {classes - 1}).");
    }

    /// <summary>Backward after a training-mode forward of <paramref name="batch"/> examples (0: none), with an
    /// output gradient of that batch.</summary>
    public static void OutputGradient(int length, int batch, int outputElements, string outputShape)
    {
        if (batch == 0) throw new InvalidOperationException("Backward needs a training-mode forward first: call ForwardTraining (or TrainStep).");
        if (length != (long)outputElements * batch)
            throw new ArgumentException($"outputGradient has {length} elements but the last training forward had batch {batch} × {outputElements} ({outputShape}) = {(long)outputElements * batch}.", "outputGradient");
    }

    /// <summary>A batchnorm that sees one value per channel and example normalises over the batch: training needs two.</summary>
    public static void BatchForBatchNorm(int batchSize, string batchNorm)
    {
        if (batchSize < 2) throw new ArgumentException($"{batchNorm} normalises over the batch: training needs a batch of at least 2.", nameof(batchSize));
    }
}
