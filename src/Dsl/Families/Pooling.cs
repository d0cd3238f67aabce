using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Semantics;

namespace CnnDsl.Dsl.Model
{
    /// <summary>What a pooling window computes.</summary>
    public enum PoolFunction
    {
        Max,
        Average,
        /// <summary>(Σ xᵖ)^(1/p) over the window (<c>lppool</c>).</summary>
        Lp,
    }

    /// <summary><c>maxpool</c>, <c>avgpool</c>, <c>lppool</c>: a window slid over each channel.</summary>
    public sealed record PoolingLayer : LayerModel
    {
        public PoolFunction Function { get; init; }
        public EquatableArray<int> Window { get; init; } = EquatableArray<int>.Empty;
        public EquatableArray<int> Stride { get; init; } = EquatableArray<int>.Empty;

        /// <summary>Padding before (and after) each spatial axis.</summary>
        public EquatableArray<int> Pad { get; init; } = EquatableArray<int>.Empty;

        public bool CeilMode { get; init; }

        /// <summary>lppool's p (0 for the others).</summary>
        public double Norm { get; init; }

        public override string Keyword => Function switch
        {
            PoolFunction.Max => "maxpool",
            PoolFunction.Average => "avgpool",
            PoolFunction.Lp => "lppool",
        };

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }

    /// <summary>What an adaptive or global pooling computes per output window.</summary>
    public enum AdaptivePoolFunction
    {
        Max,
        Average,
    }

    /// <summary><c>adaptivemaxpool</c>, <c>adaptiveavgpool</c> (a given output size) and <c>globalmaxpool</c>,
    /// <c>globalavgpool</c> (one value per channel, flat output).</summary>
    public sealed record AdaptivePoolingLayer : LayerModel
    {
        public AdaptivePoolFunction Function { get; init; }

        /// <summary>The output's spatial size (all ones for the global ones).</summary>
        public EquatableArray<int> OutputSize { get; init; } = EquatableArray<int>.Empty;

        public bool Global { get; init; }

        public override string Keyword => (Global, Function) switch
        {
            (true, AdaptivePoolFunction.Max) => "globalmaxpool",
            (true, AdaptivePoolFunction.Average) => "globalavgpool",
            (false, AdaptivePoolFunction.Max) => "adaptivemaxpool",
            (false, AdaptivePoolFunction.Average) => "adaptiveavgpool",
        };

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }

    /// <summary><c>maxout k</c>: the maximum over groups of k consecutive channels (or features).</summary>
    public sealed record MaxoutLayer : LayerModel
    {
        public int GroupSize { get; init; }

        public override string Keyword => "maxout";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Sliding-window pooling: <c>maxpool</c>, <c>avgpool</c>, <c>lppool</c>.</summary>
    internal sealed class PoolingFamily : VariantFamily<PoolFunction>
    {
        private const string ShapeRule =
            "per spatial axis: out = floor((in + 2p − k) / s) + 1 (with `ceil`: rounded up, but the last window must start inside the input or its left padding); channels unchanged; s defaults to the window";

        private static readonly OptionSpec[] WindowOptions = CommonOptions.Join(CommonOptions.Stride, CommonOptions.Pad, new[] { CommonOptions.Ceil });

        public override string Name => "pooling";

        protected override LayerKeyword Define(PoolFunction function) => function switch
        {
            PoolFunction.Max => new LayerKeyword("maxpool", ArgumentRule.Window, true, WindowOptions,
                "Max pooling over a window per channel: `maxpool 2`, `maxpool 3 s2 p1`. PyTorch nn.MaxPool1d/2d/3d (padding reads as −∞).",
                ShapeRule, "none", argumentExample: "a window, e.g. `maxpool 2`"),
            PoolFunction.Average => new LayerKeyword("avgpool", ArgumentRule.Window, true, WindowOptions,
                "Average pooling over a window per channel, padding counted as zeros: `avgpool 2`. PyTorch nn.AvgPool1d/2d/3d (count_include_pad=True).",
                ShapeRule, "none", argumentExample: "a window, e.g. `avgpool 2`"),
            PoolFunction.Lp => new LayerKeyword("lppool", ArgumentRule.Window, true,
                CommonOptions.Join(CommonOptions.Stride, new[] { OptionSpec.Scalar("norm", "norm=2", v => OptionSpec.Positive("norm", v)), CommonOptions.Ceil }),
                "Power-average pooling (Σ xᵖ)^(1/p) over a window, p = `norm=` (default 2): `lppool 2 norm=3`. PyTorch nn.LPPool1d/2d.",
                ShapeRule, "none", argumentExample: "a window, e.g. `lppool 2`"),
        };

        protected override LayerModel? Build(LayerBuilder b, PoolFunction function)
        {
            if (!b.RequireSpatial()) return null;
            int rank = b.SpatialRank;
            if (!b.Expand(b.Argument, rank, 1, "window", out var window, b.Syntax.Argument!.Span)) return null;
            if (!b.Expand(b.Options.Integers("stride") ?? window, rank, 1, "stride", out var stride)) return null;
            if (!b.Expand(b.Options.Integers("pad"), rank, 0, "padding", out var pad)) return null;
            bool ceil = b.Options.Has("ceil");
            for (int i = 0; i < rank; i++)
            {
                if (pad[i] * 2L > window[i])
                {
                    b.Report(DiagnosticDescriptors.BadPadding, b.Syntax.Span, $"{b.Keyword.Name} padding {pad[i]} must be at most half the window {window[i]}");
                    return null;
                }
            }
            var output = new int[rank + 1];
            output[0] = b.Input.Channels;
            for (int i = 0; i < rank; i++)
            {
                long inSize = b.Input.Spatial(i);
                long span = inSize + 2L * pad[i] - window[i];
                if (span < 0)
                {
                    b.ReportTooSmall(window, Enumerable.Repeat(1, rank).ToArray(), pad, pad);
                    return null;
                }
                long size = ceil ? (span + stride[i] - 1) / stride[i] + 1 : span / stride[i] + 1;
                // PyTorch's rule: the last window must start inside the input or the left padding.
                if (ceil && (size - 1) * stride[i] >= inSize + pad[i]) size--;
                if (!b.CheckSize(size)) return null;
                output[i + 1] = (int)size;
            }
            if (!b.CheckSize(TensorShape.Of(output).ElementCount)) return null;
            double norm = b.Options.Scalar("norm") ?? 2;
            var definition = new List<string> { b.Keyword.Name + " " + LayerBuilder.Compact(window) };
            if (!stride.SequenceEqual(window)) definition.Add("s" + LayerBuilder.Compact(stride));
            if (pad.Any(p => p != 0)) definition.Add("p" + LayerBuilder.Compact(pad));
            if (function == PoolFunction.Lp) definition.Add("norm=" + Evaluator.Format(norm));
            if (ceil) definition.Add("ceil");
            else b.WarnIfStrideDropsInput(string.Join(" ", definition), pad, window, Enumerable.Repeat(1, rank).ToArray(), stride, output);
            return new PoolingLayer
            {
                Function = function,
                Definition = string.Join(" ", definition),
                InputShape = b.Input,
                OutputShape = TensorShape.Of(output),
                Window = window.ToEquatableArray(),
                Stride = stride.ToEquatableArray(),
                Pad = pad.ToEquatableArray(),
                CeilMode = ceil,
                Norm = function == PoolFunction.Lp ? norm : 0,
            };
        }
    }

    /// <summary>Pooling to a given output size: adaptive (any size) and global (one value per channel).</summary>
    internal sealed class AdaptivePoolingFamily : VariantFamily<AdaptivePoolingFamily.Variant>
    {
        public enum Variant
        {
            AdaptiveMax,
            AdaptiveAverage,
            GlobalMax,
            GlobalAverage,
        }

        public override string Name => "adaptive pooling";

        protected override LayerKeyword Define(Variant variant) => variant switch
        {
            Variant.AdaptiveMax => new LayerKeyword("adaptivemaxpool", ArgumentRule.Window, true, new OptionSpec[0],
                "Max pooling to a given output size, windows from PyTorch's start/end rule: `adaptivemaxpool 7x7`. PyTorch nn.AdaptiveMaxPool1d/2d/3d.",
                "C × the given size", "none", argumentExample: "an output size, e.g. `adaptivemaxpool 7x7`"),
            Variant.AdaptiveAverage => new LayerKeyword("adaptiveavgpool", ArgumentRule.Window, true, new OptionSpec[0],
                "Average pooling to a given output size: `adaptiveavgpool 1`. PyTorch nn.AdaptiveAvgPool1d/2d/3d.",
                "C × the given size", "none", argumentExample: "an output size, e.g. `adaptiveavgpool 7x7`"),
            Variant.GlobalMax => new LayerKeyword("globalmaxpool", ArgumentRule.None, false, new OptionSpec[0],
                "The maximum of each channel: a flat vector of C. PyTorch nn.AdaptiveMaxPool2d(1) then flatten.",
                "C (flat)", "none"),
            Variant.GlobalAverage => new LayerKeyword("globalavgpool", ArgumentRule.None, false, new OptionSpec[0],
                "The mean of each channel: a flat vector of C. PyTorch nn.AdaptiveAvgPool2d(1) then flatten.",
                "C (flat)", "none"),
        };

        protected override LayerModel? Build(LayerBuilder b, Variant variant)
        {
            if (!b.RequireSpatial()) return null;
            var function = variant is Variant.AdaptiveMax or Variant.GlobalMax ? AdaptivePoolFunction.Max : AdaptivePoolFunction.Average;
            if (variant is Variant.GlobalMax or Variant.GlobalAverage)
            {
                return new AdaptivePoolingLayer
                {
                    Function = function,
                    Global = true,
                    Definition = b.Keyword.Name,
                    InputShape = b.Input,
                    OutputShape = TensorShape.Of(b.Input.Channels),
                    OutputSize = Enumerable.Repeat(1, b.SpatialRank).ToEquatableArray(),
                };
            }
            int rank = b.SpatialRank;
            if (!b.Expand(b.Argument, rank, 1, "output size", out var size, b.Syntax.Argument!.Span)) return null;
            var shape = TensorShape.Of(new[] { b.Input.Channels }.Concat(size).ToArray());
            if (!b.CheckSize(shape.ElementCount)) return null;
            return new AdaptivePoolingLayer
            {
                Function = function,
                Definition = b.Keyword.Name + " " + LayerBuilder.Compact(size),
                InputShape = b.Input,
                OutputShape = shape,
                OutputSize = size.ToEquatableArray(),
            };
        }
    }

    /// <summary><c>maxout k</c>: pooling over groups of channels.</summary>
    internal sealed class MaxoutFamily : LayerFamily
    {
        public override string Name => "maxout";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("maxout", ArgumentRule.Count, true, new OptionSpec[0],
                "The maximum over each group of k consecutive channels (or features): `maxout 2`. Goodfellow et al.'s maxout unit; in PyTorch a view then max over the group.",
                "C/k channels, spatial size unchanged (C must be a multiple of k)", "none",
                argumentExample: "a group size, e.g. `maxout 2`", argumentName: "group size"),
        };

        internal override LayerModel? Build(LayerBuilder b)
        {
            int groupSize = b.Argument![0];
            if (b.Input.Channels % groupSize != 0)
            {
                string what = b.Input.IsFlat ? "features" : "channels";
                b.Report(DiagnosticDescriptors.ChannelsDoNotDivide, b.Syntax.Span, $"maxout {groupSize} needs the {what} to be a multiple of {groupSize}, but the input {b.Input} has {b.Input.Channels}");
                return null;
            }
            var dims = b.Input.Dimensions.ToArray();
            dims[0] /= groupSize;
            return new MaxoutLayer
            {
                GroupSize = groupSize,
                Definition = "maxout " + groupSize,
                InputShape = b.Input,
                OutputShape = TensorShape.Of(dims),
            };
        }
    }
}
