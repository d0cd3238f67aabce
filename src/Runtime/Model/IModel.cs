using System;
using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// What every generated model class implements. Shapes exclude the batch dimension; buffers are
/// row-major N×C×(D×)H×W (PyTorch's layout) with N the run-time batch size.
/// </summary>
public interface IModel
{
    /// <summary>The network's name as written after <c>network</c> in the .cnn file.</summary>
    string Name { get; }

    /// <summary>Input dimensions without the batch dimension, e.g. [1, 28, 28].</summary>
    IReadOnlyList<int> InputDimensions { get; }

    /// <summary>Output dimensions without the batch dimension, e.g. [10].</summary>
    IReadOnlyList<int> OutputDimensions { get; }

    /// <summary>Elements per example of the input (product of <see cref="InputDimensions"/>).</summary>
    int InputSize { get; }

    /// <summary>Elements per example of the output.</summary>
    int OutputSize { get; }

    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Non-learned state saved in checkpoints (batchnorm running statistics).</summary>
    IReadOnlyList<StateTensor> State { get; }

    /// <summary>Inference: batchnorm uses running statistics, dropout is the identity.</summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>Training-mode forward (batch statistics, dropout active) that keeps what
    /// <see cref="Backward"/> needs.</summary>
    void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>Back-propagates <paramref name="outputGradient"/> through the last
    /// <see cref="ForwardTraining"/>; parameter gradients are overwritten (not accumulated across calls).</summary>
    void Backward(ReadOnlySpan<float> outputGradient);

    /// <summary>The gradient of the input from the last <see cref="Backward"/> (batch × InputSize).</summary>
    ReadOnlySpan<float> InputGradient { get; }

    /// <summary>Training forward, fused softmax-cross-entropy, backward and an optimizer step.
    /// Returns the mean loss over the batch.</summary>
    float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batchSize, IOptimizer optimizer);

    /// <summary>The logits (or the network output) of the last <see cref="TrainStep"/>, batch × OutputSize.</summary>
    ReadOnlySpan<float> LastOutput { get; }

    void Save(string path);

    void Load(string path);
}
