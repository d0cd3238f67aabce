using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Semantics;

/// <summary>
/// Resolves one layer against the shape that reaches it: argument and options evaluated, padding
/// worked out, output shape, parameters and multiply-adds computed — the arithmetic of spec §5,
/// with messages that show it when it fails.
/// </summary>
internal sealed class LayerFactory
{
    /// <summary>Buffers are indexed by int at run time: no tensor may exceed this many elements.</summary>
    private const long MaxElements = int.MaxValue;

    private readonly List<CnnDiagnostic> _diagnostics;
    private readonly Evaluator _evaluator;

    public LayerFactory(List<CnnDiagnostic> diagnostics, Evaluator evaluator)
    {
        _diagnostics = diagnostics;
        _evaluator = evaluator;
    }

    public LayerModel? Build(LayerSyntax syntax, LayerInfo info, IReadOnlyDictionary<string, long> env, TensorShape input, string origin)
    {
        if (!ReadArgument(syntax, info, env, out int[]? argument, out double? scalar)) return null;
        var options = LayerOptions.Read(syntax, info, env, _evaluator, _diagnostics);
        if (options == null) return null;
        if (scalar != null && options.Scalar != null)
        {
            var option = syntax.Options.First(o => o.Name == info.Options[0]);
            Report(DiagnosticDescriptors.DuplicateOption, option.Span,
                $"`{option.Name}=` repeats the argument of `{Text(syntax)}`: give the {option.Name} once");
            return null;
        }
        var context = new Context(syntax, info, input, origin, options);
        switch (info.Kind)
        {
            case LayerKind.Conv:
            case LayerKind.DepthwiseConv:
                return BuildConvolution(context, argument!);
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            case LayerKind.LpPool:
                return BuildPooling(context, argument!);
            case LayerKind.AdaptiveAvgPool:
            case LayerKind.AdaptiveMaxPool:
                return BuildAdaptivePooling(context, argument!);
            case LayerKind.GlobalAvgPool:
            case LayerKind.GlobalMaxPool:
                if (!RequireSpatial(context)) return null;
                return Simple(context, TensorShape.Of(input.Channels), info.Canonical);
            case LayerKind.Maxout:
                return BuildMaxout(context, argument![0]);
            case LayerKind.LeakyRelu:
            case LayerKind.Elu:
                return Simple(context, input, Definition(info.Canonical, scalar ?? options.Scalar, info.DefaultScalar))
                    with { Alpha = scalar ?? options.Scalar ?? info.DefaultScalar };
            case LayerKind.Dropout:
            {
                double rate = scalar ?? options.Scalar ?? info.DefaultScalar;
                if (rate < 0 || rate >= 1)
                {
                    Report(DiagnosticDescriptors.BadNumber, syntax.Argument?.Span ?? syntax.Span, $"dropout rate must be at least 0 and below 1, not {Evaluator.Format(rate)}");
                    return null;
                }
                return Simple(context, input, Definition(info.Canonical, rate, info.DefaultScalar)) with { Alpha = rate };
            }
            case LayerKind.BatchNorm:
                return BuildBatchNorm(context);
            case LayerKind.Flatten:
            {
                if (!CheckSize(context, input.ElementCount)) return null;
                return Simple(context, TensorShape.Of((int)input.ElementCount), "flatten");
            }
            case LayerKind.Dense:
                return BuildDense(context, argument![0]);
            default:
                return Simple(context, input, info.Canonical);
        }
    }

    private sealed record Context(LayerSyntax Syntax, LayerInfo Info, TensorShape Input, string Origin, LayerOptions Options)
    {
        public int SpatialRank => Input.Rank - 1;
    }

    // ---- arguments ----------------------------------------------------------------------

    private bool ReadArgument(LayerSyntax syntax, LayerInfo info, IReadOnlyDictionary<string, long> env, out int[]? argument, out double? scalar)
    {
        argument = null;
        scalar = null;
        if (syntax.Argument == null)
        {
            if (!info.ArgumentRequired) return true;
            Report(DiagnosticDescriptors.BadArgument, syntax.KeywordSpan, $"`{info.Canonical}` needs {ArgumentExample(info)}");
            return false;
        }
        switch (info.Argument)
        {
            case ArgumentRule.None:
                Report(DiagnosticDescriptors.BadArgument, syntax.Argument.Span, $"`{info.Canonical}` takes no argument");
                return false;
            case ArgumentRule.OptionalScalar:
                if (syntax.Argument.Parts.Count != 1)
                {
                    Report(DiagnosticDescriptors.BadArgument, syntax.Argument.Span, $"`{info.Canonical}` takes one number");
                    return false;
                }
                if (!_evaluator.TryScalar(syntax.Argument.Parts[0], env, info.Canonical + "'s argument", out double value)) return false;
                scalar = value;
                return true;
            case ArgumentRule.Count:
                if (syntax.Argument.Parts.Count != 1)
                {
                    Report(DiagnosticDescriptors.BadArgument, syntax.Argument.Span, $"`{info.Canonical}` takes one number, {ArgumentExample(info)}");
                    return false;
                }
                if (!_evaluator.TryInteger(syntax.Argument.Parts[0], env, info.Canonical == "dense" ? "units" : "group size", 1, int.MaxValue, out int count)) return false;
                argument = new[] { count };
                return true;
            default:
                if (!_evaluator.TryIntegers(syntax.Argument, env, info.Canonical == "conv" ? "a kernel size or filter count" : "a size", 1, out var values)) return false;
                if (info.Argument == ArgumentRule.ConvKernel && values.Length < 2)
                {
                    Report(DiagnosticDescriptors.BadArgument, syntax.Argument.Span, $"`conv` needs kernel sizes and a filter count, e.g. `conv 3x3x64` (3x3 kernel, 64 filters); `{Text(syntax.Argument)}` has no filter count");
                    return false;
                }
                argument = values;
                return true;
        }
    }

    private static string ArgumentExample(LayerInfo info) => info.Canonical switch
    {
        "conv" => "kernel sizes and a filter count, e.g. `conv 3x3x64`",
        "dwconv" => "a kernel size, e.g. `dwconv 3x3` (or `dwconv 3x3x2` for 2 filters per channel)",
        "dense" => "a number of units, e.g. `dense 10`",
        "maxout" => "a group size, e.g. `maxout 2`",
        "adaptivemaxpool" or "adaptiveavgpool" => $"an output size, e.g. `{info.Canonical} 7x7`",
        _ => $"a window, e.g. `{info.Canonical} 2`",
    };

    // ---- convolution --------------------------------------------------------------------

    private LayerModel? BuildConvolution(Context c, int[] argument)
    {
        if (!RequireSpatial(c)) return null;
        var input = c.Input;
        int rank = c.SpatialRank;
        bool depthwise = c.Info.Kind == LayerKind.DepthwiseConv;
        int channels = input.Channels;
        int[] kernel;
        int filters, groups, multiplier = 1;
        if (depthwise)
        {
            if (argument.Length != rank && argument.Length != rank + 1)
            {
                Report(DiagnosticDescriptors.RankMismatch, c.Syntax.Argument!.Span,
                    $"`dwconv {Text(c.Syntax.Argument)}` does not fit the {rank}-D input {input}: give {rank} kernel size{Plural(rank)}, optionally followed by a channel multiplier");
                return null;
            }
            kernel = argument.Take(rank).ToArray();
            multiplier = argument.Length == rank + 1 ? argument[rank] : 1;
            groups = channels;
            long depthwiseFilters = (long)channels * multiplier;
            if (!CheckSize(c, depthwiseFilters)) return null;
            filters = (int)depthwiseFilters;
        }
        else
        {
            if (argument.Length - 1 != rank)
            {
                int given = argument.Length - 1;
                Report(DiagnosticDescriptors.RankMismatch, c.Syntax.Argument!.Span,
                    $"`conv {Text(c.Syntax.Argument)}` is a {given}-D convolution but its input {input} is {rank}-D ({c.Origin}); write {rank} kernel size{Plural(rank)} then the filters, e.g. `conv {string.Join("x", Enumerable.Repeat("3", rank))}x{argument[argument.Length - 1]}`");
                return null;
            }
            kernel = argument.Take(rank).ToArray();
            filters = argument[rank];
            groups = c.Options.Groups ?? 1;
            if (channels % groups != 0 || filters % groups != 0)
            {
                string what = channels % groups != 0 ? $"the {channels} input channels" : $"the {filters} filters";
                Report(DiagnosticDescriptors.GroupsDoNotDivide, c.Syntax.Span, $"groups {groups} does not divide {what} of `{Text(c.Syntax)}` (input {input})");
                return null;
            }
        }

        if (!Expand(c, c.Options.Stride, rank, 1, "stride", out var stride)) return null;
        if (!Expand(c, c.Options.Dilation, rank, 1, "dilation", out var dilation)) return null;
        var before = new int[rank];
        var after = new int[rank];
        if (c.Options.PadKeyword is "same")
        {
            for (int i = 0; i < rank; i++)
            {
                long inSize = input.Spatial(i);
                long outSize = (inSize + stride[i] - 1) / stride[i];
                long total = Math.Max((outSize - 1) * stride[i] + (long)dilation[i] * (kernel[i] - 1) + 1 - inSize, 0);
                if (!CheckPadding(c, total - total / 2)) return null;
                before[i] = (int)(total / 2);
                after[i] = (int)(total - total / 2);
            }
        }
        else if (c.Options.PadKeyword is "full")
        {
            for (int i = 0; i < rank; i++)
            {
                long full = (long)dilation[i] * (kernel[i] - 1);
                if (!CheckPadding(c, full)) return null;
                before[i] = after[i] = (int)full;
            }
        }
        else if (c.Options.Pad != null)
        {
            if (!Expand(c, c.Options.Pad, rank, 0, "padding", out var pad)) return null;
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
                ReportTooSmall(c, kernel, dilation, before, after);
                return null;
            }
            long size = (padded - span) / stride[i] + 1;
            if (!CheckSize(c, size)) return null;
            output[i + 1] = (int)size;
        }
        if (c.Options.Mode != PaddingMode.Zeros && !CheckPaddingMode(c, before, after)) return null;

        var outShape = TensorShape.Of(output);
        if (!CheckSize(c, outShape.ElementCount)) return null;
        long kernelVolume = kernel.Aggregate(1L, (a, k) => SaturatingMultiply(a, k));
        int perGroup = channels / groups;
        bool bias = !c.Options.NoBias;
        long weights = SaturatingMultiply(SaturatingMultiply(filters, perGroup), kernelVolume);
        if (!CheckSize(c, weights)) return null;
        var weightShape = new[] { filters, perGroup }.Concat(kernel).ToArray();
        var parameters = new List<ParameterModel>
        {
            new("weight", weightShape.ToEquatableArray(), weights, (int)(perGroup * kernelVolume), (int)(filters * kernelVolume), false),
        };
        if (bias) parameters.Add(new ParameterModel("bias", EquatableArray.From(filters), filters, (int)(perGroup * kernelVolume), filters, true));
        string product = string.Join("·", kernel.Select(k => k.ToString(CultureInfo.InvariantCulture))) + "·" + perGroup.ToString(CultureInfo.InvariantCulture);
        string formula = bias ? $"{filters}·({product}+1)" : $"{filters}·{product}";
        long macs = checked(weights * outShape.SpatialSize);

        var definition = new List<string>
        {
            depthwise
                ? "dwconv " + string.Join("x", kernel) + (multiplier != 1 ? "x" + multiplier : "")
                : "conv " + string.Join("x", kernel) + "x" + filters,
        };
        if (stride.Any(s => s != 1)) definition.Add("s" + Compact(stride));
        if (c.Options.PadKeyword is "same" or "full") definition.Add(c.Options.PadKeyword);
        else if (before.Any(p => p != 0)) definition.Add("p" + Compact(before));
        if (dilation.Any(d => d != 1)) definition.Add("d" + Compact(dilation));
        if (!depthwise && groups != 1) definition.Add("g" + groups);
        if (c.Options.Mode != PaddingMode.Zeros) definition.Add(c.Options.Mode.ToString().ToLowerInvariant());
        if (!bias) definition.Add("nobias");
        WarnIfStrideDropsInput(c, string.Join(" ", definition), before, kernel, dilation, stride, output);

        return new LayerModel
        {
            Kind = c.Info.Kind,
            Definition = string.Join(" ", definition),
            InputShape = c.Input,
            OutputShape = outShape,
            Kernel = kernel.ToEquatableArray(),
            Stride = stride.ToEquatableArray(),
            Dilation = dilation.ToEquatableArray(),
            PadBefore = before.ToEquatableArray(),
            PadAfter = after.ToEquatableArray(),
            Units = filters,
            Groups = groups,
            HasBias = bias,
            PaddingMode = c.Options.Mode,
            Parameters = parameters.ToEquatableArray(),
            ParameterCount = checked(weights + (bias ? filters : 0)),
            ParameterFormula = formula,
            Macs = macs,
        };
    }

    private bool CheckPaddingMode(Context c, int[] before, int[] after)
    {
        for (int i = 0; i < before.Length; i++)
        {
            int size = c.Input.Spatial(i);
            int pad = Math.Max(before[i], after[i]);
            bool bad = c.Options.Mode == PaddingMode.Reflect ? pad >= size : c.Options.Mode == PaddingMode.Circular && pad > size;
            if (bad)
            {
                string limit = c.Options.Mode == PaddingMode.Reflect ? "smaller than" : "at most";
                Report(DiagnosticDescriptors.BadPadding, c.Syntax.Span,
                    $"{c.Options.Mode.ToString().ToLowerInvariant()} padding of {pad} must be {limit} the input size {size} of `{Text(c.Syntax)}` (input {c.Input})");
                return false;
            }
        }
        return true;
    }

    private void ReportTooSmall(Context c, int[] kernel, int[] dilation, int[] before, int[] after)
    {
        var need = kernel.Select((k, i) => (long)dilation[i] * (k - 1) + 1 - before[i] - after[i]).Select(n => Math.Max(n, 1));
        bool padded = before.Any(p => p > 0) || after.Any(p => p > 0);
        // `need` already subtracts the padding: it is the input size before padding.
        string note = padded ? " (before its padding)" : string.Empty;
        Report(DiagnosticDescriptors.OutputTooSmall, c.Syntax.Span,
            $"{Text(c.Syntax)} needs at least {string.Join("x", need)} input{note} but gets {c.Input.SpatialText} ({c.Input} {c.Origin})");
    }

    // ---- pooling ------------------------------------------------------------------------

    private LayerModel? BuildPooling(Context c, int[] argument)
    {
        if (!RequireSpatial(c)) return null;
        int rank = c.SpatialRank;
        if (!Expand(c, argument, rank, 1, "window", out var window, c.Syntax.Argument!.Span)) return null;
        if (!Expand(c, c.Options.Stride ?? window, rank, 1, "stride", out var stride)) return null;
        if (!Expand(c, c.Options.Pad, rank, 0, "padding", out var pad)) return null;
        for (int i = 0; i < rank; i++)
        {
            if (pad[i] * 2L > window[i])
            {
                Report(DiagnosticDescriptors.BadPadding, c.Syntax.Span, $"{c.Info.Canonical} padding {pad[i]} must be at most half the window {window[i]}");
                return null;
            }
        }
        var output = new int[rank + 1];
        output[0] = c.Input.Channels;
        for (int i = 0; i < rank; i++)
        {
            long inSize = c.Input.Spatial(i);
            long span = inSize + 2L * pad[i] - window[i];
            if (span < 0)
            {
                ReportTooSmall(c, window, Enumerable.Repeat(1, rank).ToArray(), pad, pad);
                return null;
            }
            long size = c.Options.Ceil ? (span + stride[i] - 1) / stride[i] + 1 : span / stride[i] + 1;
            // PyTorch's rule: the last window must start inside the input or the left padding.
            if (c.Options.Ceil && (size - 1) * stride[i] >= inSize + pad[i]) size--;
            if (!CheckSize(c, size)) return null;
            output[i + 1] = (int)size;
        }
        if (!CheckSize(c, TensorShape.Of(output).ElementCount)) return null;
        double norm = c.Options.Norm ?? 2;
        var definition = new List<string> { c.Info.Canonical + " " + Compact(window) };
        if (!stride.SequenceEqual(window)) definition.Add("s" + Compact(stride));
        if (pad.Any(p => p != 0)) definition.Add("p" + Compact(pad));
        if (c.Info.Kind == LayerKind.LpPool) definition.Add("norm=" + Evaluator.Format(norm));
        if (c.Options.Ceil) definition.Add("ceil");
        else WarnIfStrideDropsInput(c, string.Join(" ", definition), pad, window, Enumerable.Repeat(1, rank).ToArray(), stride, output);
        return new LayerModel
        {
            Kind = c.Info.Kind,
            Definition = string.Join(" ", definition),
            InputShape = c.Input,
            OutputShape = TensorShape.Of(output),
            Kernel = window.ToEquatableArray(),
            Stride = stride.ToEquatableArray(),
            Dilation = Enumerable.Repeat(1, rank).ToEquatableArray(),
            PadBefore = pad.ToEquatableArray(),
            PadAfter = pad.ToEquatableArray(),
            CeilMode = c.Options.Ceil,
            Norm = c.Info.Kind == LayerKind.LpPool ? norm : 0,
        };
    }

    private LayerModel? BuildAdaptivePooling(Context c, int[] argument)
    {
        if (!RequireSpatial(c)) return null;
        int rank = c.SpatialRank;
        if (!Expand(c, argument, rank, 1, "output size", out var size, c.Syntax.Argument!.Span)) return null;
        var output = new[] { c.Input.Channels }.Concat(size).ToArray();
        var shape = TensorShape.Of(output);
        if (!CheckSize(c, shape.ElementCount)) return null;
        return new LayerModel
        {
            Kind = c.Info.Kind,
            Definition = c.Info.Canonical + " " + Compact(size),
            InputShape = c.Input,
            OutputShape = shape,
            Kernel = size.ToEquatableArray(),
        };
    }

    private LayerModel? BuildMaxout(Context c, int groupSize)
    {
        if (c.Input.Channels % groupSize != 0)
        {
            string what = c.Input.IsFlat ? "features" : "channels";
            Report(DiagnosticDescriptors.ChannelsDoNotDivide, c.Syntax.Span, $"maxout {groupSize} needs the {what} to be a multiple of {groupSize}, but the input {c.Input} has {c.Input.Channels}");
            return null;
        }
        var dims = c.Input.Dimensions.ToArray();
        dims[0] /= groupSize;
        return Simple(c, TensorShape.Of(dims), "maxout " + groupSize) with { GroupSize = groupSize };
    }

    private LayerModel BuildBatchNorm(Context c)
    {
        int channels = c.Input.Channels;
        double eps = c.Options.Epsilon ?? 1e-5;
        double momentum = c.Options.Momentum ?? 0.1;
        var definition = "batchnorm";
        if (c.Options.Epsilon != null) definition += " eps=" + eps.ToString("G6", CultureInfo.InvariantCulture);
        if (c.Options.Momentum != null) definition += " momentum=" + momentum.ToString("G6", CultureInfo.InvariantCulture);
        return Simple(c, c.Input, definition) with
        {
            Epsilon = eps,
            Momentum = momentum,
            Parameters = EquatableArray.From(
                new ParameterModel("weight", EquatableArray.From(channels), channels, channels, channels, false),
                new ParameterModel("bias", EquatableArray.From(channels), channels, channels, channels, true)),
            State = EquatableArray.From(
                new StateModel("running_mean", EquatableArray.From(channels), channels, false),
                new StateModel("running_var", EquatableArray.From(channels), channels, false),
                new StateModel("num_batches_tracked", EquatableArray<int>.Empty, 1, true)),
            ParameterCount = 2L * channels,
            ParameterFormula = $"2·{channels}",
        };
    }

    private LayerModel? BuildDense(Context c, int units)
    {
        if (!c.Input.IsFlat)
        {
            Report(DiagnosticDescriptors.DenseOnSpatial, c.Syntax.Span,
                $"`{Text(c.Syntax)}` needs a flat input but gets {c.Input} ({c.Origin}); add `flatten` (or a global pooling layer) before it");
            return null;
        }
        int features = c.Input.Channels;
        bool bias = !c.Options.NoBias;
        long weights = (long)units * features;
        if (!CheckSize(c, weights)) return null;
        var parameters = new List<ParameterModel> { new("weight", EquatableArray.From(units, features), weights, features, units, false) };
        if (bias) parameters.Add(new ParameterModel("bias", EquatableArray.From(units), units, features, units, true));
        return Simple(c, TensorShape.Of(units), "dense " + units + (bias ? "" : " nobias")) with
        {
            Units = units,
            HasBias = bias,
            Parameters = parameters.ToEquatableArray(),
            ParameterCount = weights + (bias ? units : 0),
            ParameterFormula = bias ? $"{units}·({features}+1)" : $"{units}·{features}",
            Macs = weights,
        };
    }

    // ---- helpers ------------------------------------------------------------------------

    private static LayerModel Simple(Context c, TensorShape output, string definition) => new()
    {
        Kind = c.Info.Kind,
        Definition = definition,
        InputShape = c.Input,
        OutputShape = output,
    };

    private bool RequireSpatial(Context c)
    {
        if (!c.Input.IsFlat) return true;
        Report(DiagnosticDescriptors.NeedsSpatialInput, c.Syntax.Span,
            $"`{Text(c.Syntax)}` needs a spatial input (CxL, CxHxW or CxDxHxW) but gets the flat {c.Input} ({c.Origin})");
        return false;
    }

    private bool CheckSize(Context c, long elements)
    {
        if (elements <= MaxElements) return true;
        Report(DiagnosticDescriptors.ShapeTooLarge, c.Syntax.Span,
            $"`{Text(c.Syntax)}` makes a tensor of {elements:N0} elements; at most {MaxElements:N0} are supported");
        return false;
    }

    private bool CheckPadding(Context c, long pad)
    {
        if (pad <= int.MaxValue) return true;
        Report(DiagnosticDescriptors.ShapeTooLarge, c.Syntax.Span,
            $"`{Text(c.Syntax)}` needs {pad:N0} elements of padding; at most {int.MaxValue:N0} are supported");
        return false;
    }

    internal static long SaturatingMultiply(long a, long b)
    {
        if (a == 0 || b == 0) return 0;
        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    /// <summary>A per-dimension option: one value for all spatial dimensions or one each.</summary>
    private bool Expand(Context c, int[]? values, int rank, int fallback, string what, out int[] result, SourceSpan? at = null)
    {
        result = new int[rank];
        if (values == null || values.Length == 0)
        {
            for (int i = 0; i < rank; i++) result[i] = fallback;
            return true;
        }
        if (values.Length == 1)
        {
            for (int i = 0; i < rank; i++) result[i] = values[0];
            return true;
        }
        if (values.Length == rank)
        {
            Array.Copy(values, result, rank);
            return true;
        }
        Report(DiagnosticDescriptors.RankMismatch, at ?? c.Syntax.Span,
            $"{what} {string.Join("x", values)} has {values.Length} values but `{c.Info.Canonical}` on {c.Input} is {rank}-D: give 1 or {rank}");
        return false;
    }

    /// <summary>CNN3001: the floor in the output-size formula dropped real input (not padding) at the end of a dimension.</summary>
    private void WarnIfStrideDropsInput(Context c, string definition, int[] padBefore, int[] kernel, int[] dilation, int[] stride, int[] output)
    {
        int rank = c.SpatialRank;
        var dropped = new List<string>();
        for (int i = 0; i < rank; i++)
        {
            long lastRead = (long)(output[i + 1] - 1) * stride[i] + (long)dilation[i] * (kernel[i] - 1);
            long lastReal = padBefore[i] + (long)c.Input.Spatial(i) - 1;
            if (lastRead >= lastReal) continue;
            // Only the taps of the window the floor dropped count: rows that a kernel smaller than
            // its stride (conv 1x1 s2) skips everywhere are a property of the layer, not of the edge.
            long next = (long)output[i + 1] * stride[i];
            long count = 0;
            for (long k = 0; k < kernel[i]; k++)
            {
                long tap = next + k * dilation[i];
                if (tap > lastReal) break;
                if (tap > lastRead) count++;
            }
            if (count == 0) continue;
            string unit = rank == 1 ? "element" : i == rank - 1 ? "column" : i == rank - 2 ? "row" : "slice";
            dropped.Add($"{count} {unit}{Plural((int)count)}");
        }
        if (dropped.Count == 0) return;
        _diagnostics.Add(DiagnosticDescriptors.StrideDropsInput.Create(c.Syntax.Span,
            $"`{definition}` on {c.Input} never reads the last {string.Join(" and ", dropped)} of its input: " +
            $"(size + padding − window) is not a multiple of the stride; pad or resize so that the windows reach the edge"));
    }

    private static string Definition(string canonical, double? value, double fallback) =>
        value == null || value == fallback ? canonical : canonical + " " + Evaluator.Format(value.Value);

    private static string Compact(int[] values) =>
        values.All(v => v == values[0]) ? values[0].ToString(CultureInfo.InvariantCulture) : string.Join("x", values);

    private static string Plural(int n) => n == 1 ? "" : "s";

    private void Report(DiagnosticDescriptor descriptor, SourceSpan span, string message) =>
        _diagnostics.Add(descriptor.Create(span, message));

    private static string Text(LayerSyntax syntax)
    {
        var parts = new List<string> { syntax.Keyword };
        if (syntax.Argument != null) parts.Add(Text(syntax.Argument));
        // Short forms glue the value (s2, p1x2); long forms were written with `=` (stride=2, slope=0.2).
        foreach (var o in syntax.Options) parts.Add(o.Value == null ? o.Name : o.Name + (o.Name.Length > 1 ? "=" : "") + Text(o.Value));
        return string.Join(" ", parts);
    }

    private static string Text(DimsSyntax dims) => string.Join("x", dims.Parts.Select(p => p switch
    {
        NumberSyntax n => n.Text,
        _ => "{…}",
    }));
}
