using System;
using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// What a generated model exposes per layer (<c>model.Conv1</c>): its name, its definition as
/// resolved by the compiler, its output shape and its learned tensors.
/// </summary>
public class Layer
{
    public Layer(string name, string kind, string definition, int[] outputShape, IReadOnlyList<Parameter>? parameters = null)
    {
        Name = name;
        Kind = kind;
        Definition = definition;
        OutputShape = (int[])outputShape.Clone();
        Parameters = parameters ?? Array.Empty<Parameter>();
    }

    /// <summary>The layer's name in the network (<c>conv1</c>, or its label).</summary>
    public string Name { get; }

    /// <summary>The canonical layer keyword (<c>conv</c>, <c>dense</c>, <c>batchnorm</c>, …).</summary>
    public string Kind { get; }

    /// <summary>The layer as the compiler resolved it, e.g. <c>conv 5x5x6 p2</c>.</summary>
    public string Definition { get; }

    /// <summary>Output dimensions without the batch dimension.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    public IReadOnlyList<Parameter> Parameters { get; }

    public override string ToString() => $"{Name}: {Definition} -> {string.Join("x", OutputShape)}";
}

/// <summary>A convolution (1-D, 2-D or 3-D, including depthwise): weight F×(C/g)×K…, optional bias F.</summary>
public abstract class ConvolutionLayer : Layer
{
    protected ConvolutionLayer(string name, string kind, string definition, int[] outputShape, Parameter weight, Parameter? bias)
        : base(name, kind, definition, outputShape, bias is null ? new[] { weight } : new[] { weight, bias })
    {
        Weight = weight;
        Bias = bias;
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }
}

public sealed class Conv1d : ConvolutionLayer
{
    public Conv1d(string name, string kind, string definition, int[] outputShape, Parameter weight, Parameter? bias)
        : base(name, kind, definition, outputShape, weight, bias) { }
}

public sealed class Conv2d : ConvolutionLayer
{
    public Conv2d(string name, string kind, string definition, int[] outputShape, Parameter weight, Parameter? bias)
        : base(name, kind, definition, outputShape, weight, bias) { }
}

public sealed class Conv3d : ConvolutionLayer
{
    public Conv3d(string name, string kind, string definition, int[] outputShape, Parameter weight, Parameter? bias)
        : base(name, kind, definition, outputShape, weight, bias) { }
}

/// <summary>A fully connected layer: weight units×in, optional bias units.</summary>
public sealed class Dense : Layer
{
    public Dense(string name, string definition, int[] outputShape, Parameter weight, Parameter? bias)
        : base(name, "dense", definition, outputShape, bias is null ? new[] { weight } : new[] { weight, bias })
    {
        Weight = weight;
        Bias = bias;
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }
}

/// <summary>Batch normalisation: learned scale and shift per channel, plus running statistics.</summary>
public sealed class BatchNorm : Layer
{
    public BatchNorm(string name, string definition, int[] outputShape, Parameter weight, Parameter bias, StateTensor runningMean, StateTensor runningVar)
        : base(name, "batchnorm", definition, outputShape, new[] { weight, bias })
    {
        Weight = weight;
        Bias = bias;
        RunningMean = runningMean;
        RunningVar = runningVar;
    }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    public StateTensor RunningMean { get; }

    public StateTensor RunningVar { get; }
}
