using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Syntax;

namespace CnnDsl.Dsl.Semantics;

/// <summary>A layer's options with values evaluated; per-dimension values are expanded later, once the input rank is known.</summary>
internal sealed class LayerOptions
{
    public int[]? Stride;
    public SourceSpanRef? StrideAt;
    public int[]? Pad;
    public string? PadKeyword;
    public int[]? Dilation;
    public int? Groups;
    public PaddingMode Mode = PaddingMode.Zeros;
    public bool NoBias;
    public bool Ceil;
    public double? Norm;
    public double? Scalar;
    public double? Epsilon;
    public double? Momentum;

    /// <summary>Reads every option of <paramref name="layer"/>; false when any is wrong (already reported).</summary>
    public static LayerOptions? Read(LayerSyntax layer, LayerInfo info, IReadOnlyDictionary<string, long> env, Evaluator evaluator, List<CnnDiagnostic> diagnostics)
    {
        var options = new LayerOptions();
        var seen = new Dictionary<string, OptionSyntax>();
        bool ok = true;
        foreach (var option in layer.Options)
        {
            string name = option.Name;
            if (System.Array.IndexOf(info.Options, name) < 0)
            {
                diagnostics.Add(DiagnosticDescriptors.UnknownOption.Create(option.NameSpan, UnknownOptionMessage(info, name)));
                ok = false;
                continue;
            }
            string group = Group(name);
            if (seen.TryGetValue(group, out var earlier))
            {
                diagnostics.Add(DiagnosticDescriptors.DuplicateOption.Create(option.Span,
                    earlier.Name == name ? $"option `{name}` is given twice" : $"`{name}` conflicts with `{earlier.Name}`: give one {Describe(group)}"));
                ok = false;
                continue;
            }
            seen[group] = option;
            bool isFlag = group is "padkind" or "mode" || name is "nobias" or "ceil";
            if (isFlag && option.Value != null)
            {
                diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Span, $"`{name}` is a flag and takes no value"));
                ok = false;
                continue;
            }
            if (!isFlag && option.Value == null)
            {
                diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Span, $"option `{name}` needs a value, e.g. `{Example(name)}`"));
                ok = false;
                continue;
            }
            switch (group)
            {
                case "stride": ok &= evaluator.TryIntegers(option.Value!, env, "stride", 1, out var s); options.Stride = s; options.StrideAt = new SourceSpanRef(option); break;
                case "pad":
                    ok &= evaluator.TryIntegers(option.Value!, env, "padding", 0, out var p); options.Pad = p;
                    if (seen.ContainsKey("padkind")) { }
                    break;
                case "dilation": ok &= evaluator.TryIntegers(option.Value!, env, "dilation", 1, out var d); options.Dilation = d; break;
                case "groups":
                    if (option.Value!.Parts.Count != 1) { diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Value.Span, "groups takes one number")); ok = false; break; }
                    ok &= evaluator.TryInteger(option.Value.Parts[0], env, "groups", 1, int.MaxValue, out int g); options.Groups = g; break;
                case "padkind": options.PadKeyword = name; break;
                case "mode":
                    options.Mode = name switch { "reflect" => PaddingMode.Reflect, "replicate" => PaddingMode.Replicate, "circular" => PaddingMode.Circular, _ => PaddingMode.Zeros };
                    break;
                case "nobias": options.NoBias = true; break;
                case "ceil": options.Ceil = true; break;
                default:
                    if (option.Value!.Parts.Count != 1) { diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Value.Span, $"`{name}` takes one number")); ok = false; break; }
                    if (!evaluator.TryScalar(option.Value.Parts[0], env, name, out double v)) { ok = false; break; }
                    switch (name)
                    {
                        case "norm":
                            if (v <= 0) { diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(option.Value.Span, $"norm must be positive, not {Evaluator.Format(v)}")); ok = false; }
                            options.Norm = v; break;
                        case "eps":
                            if (v <= 0) { diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(option.Value.Span, $"eps must be positive, not {Evaluator.Format(v)}")); ok = false; }
                            options.Epsilon = v; break;
                        case "momentum":
                            if (v < 0 || v > 1) { diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(option.Value.Span, $"momentum must be between 0 and 1, not {Evaluator.Format(v)}")); ok = false; }
                            options.Momentum = v; break;
                        default: options.Scalar = v; break;
                    }
                    break;
            }
        }
        if (options.Pad != null && options.PadKeyword != null)
        {
            diagnostics.Add(DiagnosticDescriptors.DuplicateOption.Create(seen["padkind"].Span,
                $"`{options.PadKeyword}` conflicts with `{seen["pad"].Name}{string.Join("x", options.Pad)}`: give one padding"));
            ok = false;
        }
        return ok ? options : null;
    }

    public static string UnknownOptionMessage(LayerInfo info, string name) => info.Options.Length == 0
        ? $"`{info.Canonical}` takes no options, but `{name}` was given"
        : $"unknown option `{name}` for `{info.Canonical}`{Suggestions.DidYouMean(name, info.Options)} (options: {string.Join(", ", info.Options)})";

    private static string Group(string name) => name switch
    {
        "s" or "stride" => "stride",
        "p" or "pad" or "padding" => "pad",
        "same" or "valid" or "full" => "padkind",
        "zeros" or "reflect" or "replicate" or "circular" => "mode",
        "d" or "dilation" => "dilation",
        "g" or "groups" => "groups",
        _ => name,
    };

    private static string Describe(string group) => group switch
    {
        "padkind" => "padding",
        "mode" => "padding mode",
        _ => group,
    };

    private static string Example(string name) => name switch
    {
        "s" or "stride" => "s2",
        "p" or "pad" or "padding" => "p1",
        "d" or "dilation" => "d2",
        "g" or "groups" => "g2",
        "norm" => "norm=2",
        "eps" => "eps=1e-5",
        "momentum" => "momentum=0.1",
        _ => name + "=1",
    };
}

/// <summary>Where an option was written, for messages about it later.</summary>
internal sealed record SourceSpanRef(OptionSyntax Option);
