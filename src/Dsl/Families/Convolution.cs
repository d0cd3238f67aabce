using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Model
{
    public enum PaddingMode
    {
        Zeros,
        Reflect,
        Replicate,
        Circular,
    }

    /// <summary><c>conv</c> and <c>dwconv</c>: cross-correlation with <see cref="Filters"/> filters of
    /// (C/<see cref="Groups"/>)×kernel each, 1-D, 2-D or 3-D by the input's rank.</summary>
    public sealed record ConvolutionLayer : LayerModel
    {
        /// <summary><c>dwconv</c>: one group per input channel.</summary>
        public bool Depthwise { get; init; }

        public EquatableArray<int> Kernel { get; init; } = EquatableArray<int>.Empty;
        public EquatableArray<int> Stride { get; init; } = EquatableArray<int>.Empty;
        public EquatableArray<int> Dilation { get; init; } = EquatableArray<int>.Empty;
        public EquatableArray<int> PadBefore { get; init; } = EquatableArray<int>.Empty;
        public EquatableArray<int> PadAfter { get; init; } = EquatableArray<int>.Empty;
        public int Filters { get; init; }
        public int Groups { get; init; } = 1;
        public bool HasBias { get; init; }
        public PaddingMode PaddingMode { get; init; }

        public override string Keyword => Depthwise ? "dwconv" : "conv";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Convolutions: <c>conv</c> (groups optional) and <c>dwconv</c> (a group per channel).</summary>
    internal sealed class ConvolutionFamily : LayerFamily
    {
        private const string ShapeRule =
            "per spatial axis: out = floor((in + pad_before + pad_after − d·(k−1) − 1) / s) + 1; channels: F (dwconv: C·m). " +
            "`same` pads so that out = ceil(in / s) (an odd extra pixel at the end), `full` pads d·(k−1) on each side, `valid` pads 0";

        public override string Name => "convolution";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("conv", ArgumentRule.ConvKernel, true,
                CommonOptions.Join(CommonOptions.Stride, CommonOptions.Pad, CommonOptions.PadKeywords, CommonOptions.PaddingModes,
                    CommonOptions.Dilation, CommonOptions.Groups, new[] { CommonOptions.NoBias }),
                "Convolution (cross-correlation, no kernel flip) with F filters, 1-D, 2-D or 3-D by the input's rank: `conv 3x3x64 s1 p1`. " +
                "PyTorch nn.Conv1d / nn.Conv2d / nn.Conv3d (weight F×(C/g)×K…).",
                ShapeRule, "F·(K·C/g) weights + F biases (no biases with `nobias`)",
                argumentExample: "kernel sizes and a filter count, e.g. `conv 3x3x64`", argumentName: "a kernel size or filter count"),
            new LayerKeyword("dwconv", ArgumentRule.DepthwiseKernel, true,
                CommonOptions.Join(CommonOptions.Stride, CommonOptions.Pad, CommonOptions.PadKeywords, CommonOptions.PaddingModes,
                    CommonOptions.Dilation, new[] { CommonOptions.NoBias }),
                "Depthwise convolution: each channel convolved on its own with m filters (default 1): `dwconv 3x3`, `dwconv 3x3x2`. " +
                "PyTorch nn.Conv2d with groups = C.",
                ShapeRule, "C·m·K weights + C·m biases",
                argumentExample: "a kernel size, e.g. `dwconv 3x3` (or `dwconv 3x3x2` for 2 filters per channel)"),
        };

        internal override LayerModel? Build(LayerBuilder b)
        {
            if (!b.RequireSpatial()) return null;
            var argument = b.Argument!;
            var input = b.Input;
            int rank = b.SpatialRank;
            bool depthwise = b.Keyword.Argument == ArgumentRule.DepthwiseKernel;
            int channels = input.Channels;
            int[] kernel;
            int filters, groups, multiplier = 1;
            if (depthwise)
            {
                if (argument.Length != rank && argument.Length != rank + 1)
                {
                    b.Report(DiagnosticDescriptors.RankMismatch, b.Syntax.Argument!.Span,
                        $"`dwconv {LayerBuilder.Text(b.Syntax.Argument)}` does not fit the {rank}-D input {input}: give {rank} kernel size{LayerBuilder.Plural(rank)}, optionally followed by a channel multiplier");
                    return null;
                }
                kernel = argument.Take(rank).ToArray();
                multiplier = argument.Length == rank + 1 ? argument[rank] : 1;
                groups = channels;
                long depthwiseFilters = (long)channels * multiplier;
                if (!b.CheckSize(depthwiseFilters)) return null;
                filters = (int)depthwiseFilters;
            }
            else
            {
                if (argument.Length - 1 != rank)
                {
                    int given = argument.Length - 1;
                    b.Report(DiagnosticDescriptors.RankMismatch, b.Syntax.Argument!.Span,
                        $"`conv {LayerBuilder.Text(b.Syntax.Argument)}` is a {given}-D convolution but its input {input} is {rank}-D ({b.Origin}); write {rank} kernel size{LayerBuilder.Plural(rank)} then the filters, e.g. `conv {string.Join("x", Enumerable.Repeat("3", rank))}x{argument[argument.Length - 1]}`");
                    return null;
                }
                kernel = argument.Take(rank).ToArray();
                filters = argument[rank];
                groups = b.Options.Integer("groups") ?? 1;
                if (channels % groups != 0 || filters % groups != 0)
                {
                    string what = channels % groups != 0 ? $"the {channels} input channels" : $"the {filters} filters";
                    b.Report(DiagnosticDescriptors.GroupsDoNotDivide, b.Syntax.Span, $"groups {groups} does not divide {what} of `{LayerBuilder.Text(b.Syntax)}` (input {input})");
                    return null;
                }
            }

            if (!b.Expand(b.Options.Integers("stride"), rank, 1, "stride", out var stride)) return null;
            if (!b.Expand(b.Options.Integers("dilation"), rank, 1, "dilation", out var dilation)) return null;
            var before = new int[rank];
            var after = new int[rank];
            string? padKeyword = b.Options.Flag("padkind");
            if (padKeyword is "same")
            {
                for (int i = 0; i < rank; i++)
                {
                    long inSize = input.Spatial(i);
                    long outSize = (inSize + stride[i] - 1) / stride[i];
                    long total = Math.Max((outSize - 1) * stride[i] + (long)dilation[i] * (kernel[i] - 1) + 1 - inSize, 0);
                    if (!b.CheckPadding(total - total / 2)) return null;
                    before[i] = (int)(total / 2);
                    after[i] = (int)(total - total / 2);
                }
            }
            else if (padKeyword is "full")
            {
                for (int i = 0; i < rank; i++)
                {
                    long full = (long)dilation[i] * (kernel[i] - 1);
                    if (!b.CheckPadding(full)) return null;
                    before[i] = after[i] = (int)full;
                }
            }
            else if (b.Options.Integers("pad") is int[] written)
            {
                if (!b.Expand(written, rank, 0, "padding", out var pad)) return null;
                Array.Copy(pad, before, rank);
                Array.Copy(pad, after, rank);
            }

            var output = new int[rank + 1];
            output[0] = filters;
            for (int i = 0; i < rank; i++)
            {
                long padded = (long)input.Spatial(i) + before[i] + after[i];
                long span = (long)dilation[i] * (kernel[i] - 1) + 1;
                if (padded < span)
                {
                    b.ReportTooSmall(kernel, dilation, before, after);
                    return null;
                }
                long size = (padded - span) / stride[i] + 1;
                if (!b.CheckSize(size)) return null;
                output[i + 1] = (int)size;
            }
            var mode = b.Options.Flag("mode") switch
            {
                "reflect" => PaddingMode.Reflect,
                "replicate" => PaddingMode.Replicate,
                "circular" => PaddingMode.Circular,
                _ => PaddingMode.Zeros,
            };
            if (mode != PaddingMode.Zeros && !CheckPaddingMode(b, mode, before, after)) return null;

            var outShape = TensorShape.Of(output);
            if (!b.CheckSize(outShape.ElementCount)) return null;
            long kernelVolume = kernel.Aggregate(1L, (a, k) => LayerBuilder.SaturatingMultiply(a, k));
            int perGroup = channels / groups;
            bool bias = !b.Options.Has("nobias");
            long weights = LayerBuilder.SaturatingMultiply(LayerBuilder.SaturatingMultiply(filters, perGroup), kernelVolume);
            if (!b.CheckSize(weights)) return null;
            var weightShape = new[] { filters, perGroup }.Concat(kernel).ToArray();
            int fanIn = (int)(perGroup * kernelVolume);
            var parameters = new List<ParameterModel>
            {
                new("weight", weightShape.ToEquatableArray(), weights, fanIn, (int)(filters * kernelVolume), false, new ParameterInit(InitKind.GlorotUniform)),
            };
            if (bias) parameters.Add(new ParameterModel("bias", EquatableArray.From(filters), filters, fanIn, filters, true, ParameterInit.Zeros));
            string product = string.Join("·", kernel.Select(k => k.ToString(CultureInfo.InvariantCulture))) + "·" + perGroup.ToString(CultureInfo.InvariantCulture);
            string formula = bias ? $"{filters}·({product}+1)" : $"{filters}·{product}";
            long macs = checked(weights * outShape.SpatialSize);

            var definition = new List<string>
            {
                depthwise
                    ? "dwconv " + string.Join("x", kernel) + (multiplier != 1 ? "x" + multiplier : "")
                    : "conv " + string.Join("x", kernel) + "x" + filters,
            };
            if (stride.Any(s => s != 1)) definition.Add("s" + LayerBuilder.Compact(stride));
            if (padKeyword is "same" or "full") definition.Add(padKeyword);
            else if (before.Any(p => p != 0)) definition.Add("p" + LayerBuilder.Compact(before));
            if (dilation.Any(d => d != 1)) definition.Add("d" + LayerBuilder.Compact(dilation));
            if (!depthwise && groups != 1) definition.Add("g" + groups);
            if (mode != PaddingMode.Zeros) definition.Add(mode.ToString().ToLowerInvariant());
            if (!bias) definition.Add("nobias");
            b.WarnIfStrideDropsInput(string.Join(" ", definition), before, kernel, dilation, stride, output);

            return new ConvolutionLayer
            {
                Depthwise = depthwise,
                Definition = string.Join(" ", definition),
                InputShape = input,
                OutputShape = outShape,
                Kernel = kernel.ToEquatableArray(),
                Stride = stride.ToEquatableArray(),
                Dilation = dilation.ToEquatableArray(),
                PadBefore = before.ToEquatableArray(),
                PadAfter = after.ToEquatableArray(),
                Filters = filters,
                Groups = groups,
                HasBias = bias,
                PaddingMode = mode,
                Parameters = parameters.ToEquatableArray(),
                ParameterCount = checked(weights + (bias ? filters : 0)),
                ParameterFormula = formula,
                Macs = macs,
            };
        }

        private static bool CheckPaddingMode(LayerBuilder b, PaddingMode mode, int[] before, int[] after)
        {
            for (int i = 0; i < before.Length; i++)
            {
                int size = b.Input.Spatial(i);
                int pad = Math.Max(before[i], after[i]);
                bool bad = mode == PaddingMode.Reflect ? pad >= size : mode == PaddingMode.Circular && pad > size;
                if (bad)
                {
                    string limit = mode == PaddingMode.Reflect ? "smaller than" : "at most";
                    b.Report(DiagnosticDescriptors.BadPadding, b.Syntax.Span,
                        $"{mode.ToString().ToLowerInvariant()} padding of {pad} must be {limit} the input size {size} of `{LayerBuilder.Text(b.Syntax)}` (input {b.Input})");
                    return false;
                }
            }
            return true;
        }
    }
}
