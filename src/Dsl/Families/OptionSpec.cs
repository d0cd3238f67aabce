using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Semantics;
using CnnDsl.Dsl.Syntax;

namespace CnnDsl.Dsl.Families;

internal enum OptionKind
{
    /// <summary>Written alone (<c>nobias</c>, <c>same</c>); options of one group are alternatives.</summary>
    Flag,
    /// <summary>One value or one per spatial dimension (<c>s2</c>, <c>p1x2</c>), each at least <see cref="OptionSpec.Minimum"/>.</summary>
    Integers,
    /// <summary>One whole number (<c>g2</c>).</summary>
    Integer,
    /// <summary>One number (<c>eps=1e-3</c>), checked by <see cref="OptionSpec.Check"/>.</summary>
    Scalar,
}

/// <summary>
/// One spelling of a layer option. Spellings of the same option share a <see cref="Group"/> (<c>s</c>,
/// <c>stride</c>), and so do alternatives (<c>same</c>, <c>valid</c>, <c>full</c>): a group may be given once.
/// </summary>
internal sealed class OptionSpec
{
    private OptionSpec(string name, string group, OptionKind kind, string what, long minimum, string? example, Func<double, string?>? check, string? groupDescription)
    {
        Name = name;
        Group = group;
        Kind = kind;
        What = what;
        Minimum = minimum;
        Example = example ?? name + "=1";
        Check = check;
        GroupDescription = groupDescription ?? group;
    }

    public string Name { get; }
    public string Group { get; }
    public OptionKind Kind { get; }

    /// <summary>What the value is, in messages (<c>stride</c>, <c>padding</c>).</summary>
    public string What { get; }

    public long Minimum { get; }

    /// <summary>A written example for "needs a value" (<c>s2</c>, <c>eps=1e-5</c>).</summary>
    public string Example { get; }

    /// <summary>A scalar's constraint: null when the value is fine, else what is wrong.</summary>
    public Func<double, string?>? Check { get; }

    /// <summary>How a conflict within the group is described ("give one padding mode").</summary>
    public string GroupDescription { get; }

    public static OptionSpec Flag(string name, string group, string? groupDescription = null) =>
        new(name, group, OptionKind.Flag, name, 0, null, null, groupDescription);

    public static OptionSpec Integers(string name, string group, string what, long minimum, string example) =>
        new(name, group, OptionKind.Integers, what, minimum, example, null, null);

    public static OptionSpec Integer(string name, string group, string what, long minimum, string example) =>
        new(name, group, OptionKind.Integer, what, minimum, example, null, null);

    public static OptionSpec Scalar(string name, string? example = null, Func<double, string?>? check = null) =>
        new(name, name, OptionKind.Scalar, name, 0, example, check, null);

    public static string? Positive(string name, double v) => v <= 0 ? $"{name} must be positive, not {Evaluator.Format(v)}" : null;
}

/// <summary>The options shared by several families, spelled once.</summary>
internal static class CommonOptions
{
    public static readonly OptionSpec[] Stride =
    {
        OptionSpec.Integers("s", "stride", "stride", 1, "s2"),
        OptionSpec.Integers("stride", "stride", "stride", 1, "s2"),
    };

    public static readonly OptionSpec[] Pad =
    {
        OptionSpec.Integers("p", "pad", "padding", 0, "p1"),
        OptionSpec.Integers("pad", "pad", "padding", 0, "p1"),
        OptionSpec.Integers("padding", "pad", "padding", 0, "p1"),
    };

    /// <summary><c>same</c>, <c>valid</c>, <c>full</c>: padding worked out from the kernel (conflicts with <c>pN</c>).</summary>
    public static readonly OptionSpec[] PadKeywords =
    {
        OptionSpec.Flag("same", "padkind", "padding"),
        OptionSpec.Flag("valid", "padkind", "padding"),
        OptionSpec.Flag("full", "padkind", "padding"),
    };

    public static readonly OptionSpec[] PaddingModes =
    {
        OptionSpec.Flag("zeros", "mode", "padding mode"),
        OptionSpec.Flag("reflect", "mode", "padding mode"),
        OptionSpec.Flag("replicate", "mode", "padding mode"),
        OptionSpec.Flag("circular", "mode", "padding mode"),
    };

    public static readonly OptionSpec[] Dilation =
    {
        OptionSpec.Integers("d", "dilation", "dilation", 1, "d2"),
        OptionSpec.Integers("dilation", "dilation", "dilation", 1, "d2"),
    };

    public static readonly OptionSpec[] Groups =
    {
        OptionSpec.Integer("g", "groups", "groups", 1, "g2"),
        OptionSpec.Integer("groups", "groups", "groups", 1, "g2"),
    };

    public static readonly OptionSpec NoBias = OptionSpec.Flag("nobias", "nobias");

    public static readonly OptionSpec Ceil = OptionSpec.Flag("ceil", "ceil");

    public static OptionSpec[] Join(params IEnumerable<OptionSpec>[] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>A layer's options with values evaluated, by group; per-dimension values are expanded later, once the input rank is known.</summary>
internal sealed class LayerOptions
{
    private readonly Dictionary<string, (OptionSyntax Syntax, OptionSpec Spec, int[]? Integers, double Scalar)> _given = new();

    public bool Has(string group) => _given.ContainsKey(group);

    /// <summary>Which flag of <paramref name="group"/> was written, or null.</summary>
    public string? Flag(string group) => _given.TryGetValue(group, out var v) ? v.Spec.Name : null;

    public int[]? Integers(string group) => _given.TryGetValue(group, out var v) ? v.Integers : null;

    public int? Integer(string group) => _given.TryGetValue(group, out var v) && v.Integers != null ? v.Integers[0] : null;

    public double? Scalar(string group) => _given.TryGetValue(group, out var v) ? v.Scalar : null;

    public OptionSyntax Syntax(string group) => _given[group].Syntax;

    /// <summary>Reads every option of <paramref name="layer"/>; null when any is wrong (already reported).</summary>
    public static LayerOptions? Read(LayerSyntax layer, LayerKeyword keyword, IReadOnlyDictionary<string, long> env, Evaluator evaluator, List<CnnDiagnostic> diagnostics)
    {
        var options = new LayerOptions();
        var seen = new Dictionary<string, OptionSyntax>();
        bool ok = true;
        foreach (var option in layer.Options)
        {
            string name = option.Name;
            var spec = keyword.FindOption(name);
            if (spec == null)
            {
                diagnostics.Add(DiagnosticDescriptors.UnknownOption.Create(option.NameSpan, UnknownOptionMessage(keyword, name)));
                ok = false;
                continue;
            }
            if (seen.TryGetValue(spec.Group, out var earlier))
            {
                diagnostics.Add(DiagnosticDescriptors.DuplicateOption.Create(option.Span,
                    earlier.Name == name ? $"option `{name}` is given twice" : $"`{name}` conflicts with `{earlier.Name}`: give one {spec.GroupDescription}"));
                ok = false;
                continue;
            }
            seen[spec.Group] = option;
            bool isFlag = spec.Kind == OptionKind.Flag;
            if (isFlag && option.Value != null)
            {
                diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Span, $"`{name}` is a flag and takes no value"));
                ok = false;
                continue;
            }
            if (!isFlag && option.Value == null)
            {
                diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Span, $"option `{name}` needs a value, e.g. `{spec.Example}`"));
                ok = false;
                continue;
            }
            switch (spec.Kind)
            {
                case OptionKind.Flag:
                    options._given[spec.Group] = (option, spec, null, 0);
                    break;
                case OptionKind.Integers:
                    ok &= evaluator.TryIntegers(option.Value!, env, spec.What, spec.Minimum, out var values);
                    options._given[spec.Group] = (option, spec, values, 0);
                    break;
                case OptionKind.Integer:
                    if (option.Value!.Parts.Count != 1)
                    {
                        diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Value.Span, $"{spec.What} takes one number"));
                        ok = false;
                        break;
                    }
                    ok &= evaluator.TryInteger(option.Value.Parts[0], env, spec.What, spec.Minimum, int.MaxValue, out int value);
                    options._given[spec.Group] = (option, spec, new[] { value }, 0);
                    break;
                case OptionKind.Scalar:
                    if (option.Value!.Parts.Count != 1)
                    {
                        diagnostics.Add(DiagnosticDescriptors.BadArgument.Create(option.Value.Span, $"`{name}` takes one number"));
                        ok = false;
                        break;
                    }
                    if (!evaluator.TryScalar(option.Value.Parts[0], env, name, out double v)) { ok = false; break; }
                    string? problem = spec.Check?.Invoke(v);
                    if (problem != null)
                    {
                        diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(option.Value.Span, problem));
                        ok = false;
                    }
                    options._given[spec.Group] = (option, spec, null, v);
                    break;
            }
        }
        if (options.Has("pad") && options.Has("padkind"))
        {
            diagnostics.Add(DiagnosticDescriptors.DuplicateOption.Create(seen["padkind"].Span,
                $"`{options.Flag("padkind")}` conflicts with `{seen["pad"].Name}{string.Join("x", options.Integers("pad") ?? Array.Empty<int>())}`: give one padding"));
            ok = false;
        }
        return ok ? options : null;
    }

    public static string UnknownOptionMessage(LayerKeyword keyword, string name) => keyword.Options.Count == 0
        ? $"`{keyword.Name}` takes no options, but `{name}` was given"
        : $"unknown option `{name}` for `{keyword.Name}`{Suggestions.DidYouMean(name, keyword.OptionNames)} (options: {string.Join(", ", keyword.OptionNames)})";
}
