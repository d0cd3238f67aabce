using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Semantics;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Families;

/// <summary>
/// One use of a layer keyword against the shape that reaches it: the argument and options evaluated,
/// and the arithmetic helpers the families share — size limits, per-dimension expansion, the messages
/// that show the arithmetic when it fails.
/// </summary>
internal sealed class LayerBuilder
{
    /// <summary>Buffers are indexed by int at run time: no tensor may exceed this many elements.</summary>
    public const long MaxElements = int.MaxValue;

    private readonly List<CnnDiagnostic> _diagnostics;

    private LayerBuilder(List<CnnDiagnostic> diagnostics, LayerSyntax syntax, LayerKeyword keyword, TensorShape input, string origin,
        LayerOptions options, int[]? argument, double? scalar)
    {
        _diagnostics = diagnostics;
        Syntax = syntax;
        Keyword = keyword;
        Input = input;
        Origin = origin;
        Options = options;
        Argument = argument;
        ScalarArgument = scalar;
    }

    public LayerSyntax Syntax { get; }
    public LayerKeyword Keyword { get; }
    public TensorShape Input { get; }

    /// <summary>Where the input comes from, in messages ("after `maxpool 2` on line 4").</summary>
    public string Origin { get; }

    public LayerOptions Options { get; }

    /// <summary>The integer argument (kernel dims and filters, window, count), or null.</summary>
    public int[]? Argument { get; }

    /// <summary>An <see cref="ArgumentRule.OptionalScalar"/> written as the argument, or null.</summary>
    public double? ScalarArgument { get; }

    public int SpatialRank => Input.Rank - 1;

    /// <summary>The scalar written as argument or as its option, else the keyword's default.</summary>
    public double Scalar => ScalarArgument ?? (Keyword.ScalarOption is string o ? Options.Scalar(o) : null) ?? Keyword.DefaultScalar;

    /// <summary>Whether the scalar was written at all.</summary>
    public bool ScalarWritten => ScalarArgument != null || (Keyword.ScalarOption is string o && Options.Has(o));

    /// <summary>Reads the argument and options of <paramref name="syntax"/> and lets the keyword's family build
    /// the layer; null when anything is wrong (already reported).</summary>
    public static LayerModel? Build(LayerSyntax syntax, LayerKeyword keyword, IReadOnlyDictionary<string, long> env, TensorShape input,
        string origin, Evaluator evaluator, List<CnnDiagnostic> diagnostics)
    {
        if (!ReadArgument(syntax, keyword, env, evaluator, diagnostics, out int[]? argument, out double? scalar)) return null;
        var options = LayerOptions.Read(syntax, keyword, env, evaluator, diagnostics);
        if (options == null) return null;
        if (scalar != null && keyword.ScalarOption is string scalarOption && options.Has(scalarOption))
        {
            var option = options.Syntax(scalarOption);
            diagnostics.Add(DiagnosticDescriptors.DuplicateOption.Create(option.Span,
                $"`{option.Name}=` repeats the argument of `{Text(syntax)}`: give the {option.Name} once"));
            return null;
        }
        return keyword.Family.Build(new LayerBuilder(diagnostics, syntax, keyword, input, origin, options, argument, scalar));
    }

    private static bool ReadArgument(LayerSyntax syntax, LayerKeyword keyword, IReadOnlyDictionary<string, long> env, Evaluator evaluator,
        List<CnnDiagnostic> diagnostics, out int[]? argument, out double? scalar)
    {
        argument = null;
        scalar = null;
        if (syntax.Argument == null)
        {
            if (!keyword.ArgumentRequired) return true;
            diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(syntax.KeywordSpan, $"`{keyword.Name}` needs {keyword.ArgumentExample}"));
            return false;
        }
        switch (keyword.Argument)
        {
            case ArgumentRule.None:
                diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(syntax.Argument.Span, $"`{keyword.Name}` takes no argument"));
                return false;
            case ArgumentRule.OptionalScalar:
                if (syntax.Argument.Parts.Count != 1)
                {
                    diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(syntax.Argument.Span, $"`{keyword.Name}` takes one number"));
                    return false;
                }
                if (!evaluator.TryScalar(syntax.Argument.Parts[0], env, keyword.Name + "'s argument", out double value)) return false;
                scalar = value;
                return true;
            case ArgumentRule.Count:
                if (syntax.Argument.Parts.Count != 1)
                {
                    diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(syntax.Argument.Span, $"`{keyword.Name}` takes one number, {keyword.ArgumentExample}"));
                    return false;
                }
                if (!evaluator.TryInteger(syntax.Argument.Parts[0], env, keyword.ArgumentName, 1, int.MaxValue, out int count)) return false;
                argument = new[] { count };
                return true;
            case ArgumentRule.ConvKernel:
            case ArgumentRule.DepthwiseKernel:
            case ArgumentRule.Window:
                if (!evaluator.TryIntegers(syntax.Argument, env, keyword.ArgumentName, 1, out var values)) return false;
                if (keyword.Argument == ArgumentRule.ConvKernel && values.Length < 2)
                {
                    diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(syntax.Argument.Span,
                        $"`conv` needs kernel sizes and a filter count, e.g. `conv 3x3x64` (3x3 kernel, 64 filters); `{Text(syntax.Argument)}` has no filter count"));
                    return false;
                }
                argument = values;
                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(keyword), keyword.Argument, "unknown argument rule");
        }
    }

    // ---- checks shared by the families -------------------------------------------------------

    public void Report(DiagnosticDescriptor descriptor, SourceSpan span, string message) => _diagnostics.Add(descriptor.Create(span, message));

    public bool RequireSpatial()
    {
        if (!Input.IsFlat) return true;
        Report(DiagnosticDescriptors.NeedsSpatialInput, Syntax.Span,
            $"`{Text(Syntax)}` needs a spatial input (CxL, CxHxW or CxDxHxW) but gets the flat {Input} ({Origin})");
        return false;
    }

    public bool CheckSize(long elements)
    {
        if (elements <= MaxElements) return true;
        Report(DiagnosticDescriptors.ShapeTooLarge, Syntax.Span,
            $"`{Text(Syntax)}` makes a tensor of {elements:N0} elements; at most {MaxElements:N0} are supported");
        return false;
    }

    public bool CheckPadding(long pad)
    {
        if (pad <= int.MaxValue) return true;
        Report(DiagnosticDescriptors.ShapeTooLarge, Syntax.Span,
            $"`{Text(Syntax)}` needs {pad:N0} elements of padding; at most {int.MaxValue:N0} are supported");
        return false;
    }

    public static long SaturatingMultiply(long a, long b)
    {
        if (a == 0 || b == 0) return 0;
        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    /// <summary>A per-dimension value: one for all spatial dimensions or one each.</summary>
    public bool Expand(int[]? values, int rank, int fallback, string what, out int[] result, SourceSpan? at = null)
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
        Report(DiagnosticDescriptors.RankMismatch, at ?? Syntax.Span,
            $"{what} {string.Join("x", values)} has {values.Length} values but `{Keyword.Name}` on {Input} is {rank}-D: give 1 or {rank}");
        return false;
    }

    public void ReportTooSmall(int[] kernel, int[] dilation, int[] before, int[] after)
    {
        var need = kernel.Select((k, i) => (long)dilation[i] * (k - 1) + 1 - before[i] - after[i]).Select(n => Math.Max(n, 1));
        bool padded = before.Any(p => p > 0) || after.Any(p => p > 0);
        // `need` already subtracts the padding: it is the input size before padding.
        string note = padded ? " (before its padding)" : string.Empty;
        Report(DiagnosticDescriptors.OutputTooSmall, Syntax.Span,
            $"{Text(Syntax)} needs at least {string.Join("x", need)} input{note} but gets {Input.SpatialText} ({Input} {Origin})");
    }

    /// <summary>CNN3001: the floor in the output-size formula dropped real input (not padding) at the end of a dimension.</summary>
    public void WarnIfStrideDropsInput(string definition, int[] padBefore, int[] kernel, int[] dilation, int[] stride, int[] output)
    {
        int rank = SpatialRank;
        var dropped = new List<string>();
        for (int i = 0; i < rank; i++)
        {
            long lastRead = (long)(output[i + 1] - 1) * stride[i] + (long)dilation[i] * (kernel[i] - 1);
            long lastReal = padBefore[i] + (long)Input.Spatial(i) - 1;
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
        _diagnostics.Add(DiagnosticDescriptors.StrideDropsInput.Create(Syntax.Span,
            $"`{definition}` on {Input} never reads the last {string.Join(" and ", dropped)} of its input: " +
            $"(size + padding − window) is not a multiple of the stride; pad or resize so that the windows reach the edge"));
    }

    // ---- words ---------------------------------------------------------------------------------

    /// <summary>The keyword alone, or with its scalar when that differs from the default (<c>leakyrelu 0.2</c>).</summary>
    public string DefinitionWithScalar() =>
        !ScalarWritten || Scalar == Keyword.DefaultScalar ? Keyword.Name : Keyword.Name + " " + Evaluator.Format(Scalar);

    public static string Compact(int[] values) =>
        values.All(v => v == values[0]) ? values[0].ToString(CultureInfo.InvariantCulture) : string.Join("x", values);

    public static string Plural(int n) => n == 1 ? "" : "s";

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The layer as written, with expressions shown as <c>{…}</c>.</summary>
    public static string Text(LayerSyntax syntax)
    {
        var parts = new List<string> { syntax.Keyword };
        if (syntax.Argument != null) parts.Add(Text(syntax.Argument));
        // Short forms glue the value (s2, p1x2); long forms were written with `=` (stride=2, slope=0.2).
        foreach (var o in syntax.Options) parts.Add(o.Value == null ? o.Name : o.Name + (o.Name.Length > 1 ? "=" : "") + Text(o.Value));
        return string.Join(" ", parts);
    }

    public static string Text(DimsSyntax dims) => string.Join("x", dims.Parts.Select(p => p switch
    {
        NumberSyntax n => n.Text,
        _ => "{…}",
    }));
}
