using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnDsl.Dsl.Families;

/// <summary>What the argument after a layer keyword may be.</summary>
public enum ArgumentRule
{
    /// <summary>No argument (relu, flatten, …).</summary>
    None,
    /// <summary>conv: kernel dims then filters.</summary>
    ConvKernel,
    /// <summary>dwconv: kernel dims, optional multiplier.</summary>
    DepthwiseKernel,
    /// <summary>pool window / adaptive output: one number or one per spatial dim.</summary>
    Window,
    /// <summary>maxout group size, dense units: one integer.</summary>
    Count,
    /// <summary>leakyrelu slope, elu alpha, dropout rate: one optional decimal.</summary>
    OptionalScalar,
}

/// <summary>
/// One layer keyword as the language defines it: its argument, its options, and the words the editor
/// shows for it (what it computes, its PyTorch counterpart, its shape and parameter rules). Each belongs
/// to one <see cref="LayerFamily"/>, which builds the checked layer from it.
/// </summary>
public sealed class LayerKeyword
{
    private readonly OptionSpec[] _options;

    internal LayerKeyword(string name, ArgumentRule argument, bool argumentRequired, OptionSpec[] options, string documentation,
        string shapeRule, string parameterRule, string argumentExample = "", string argumentName = "a size",
        double defaultScalar = 0, string[]? aliases = null)
    {
        Name = name;
        Argument = argument;
        ArgumentRequired = argumentRequired;
        _options = options;
        Documentation = documentation;
        ShapeRule = shapeRule;
        ParameterRule = parameterRule;
        ArgumentExample = argumentExample;
        ArgumentName = argumentName;
        DefaultScalar = defaultScalar;
        Aliases = aliases ?? Array.Empty<string>();
    }

    /// <summary>The canonical spelling (<c>batchnorm</c>, not <c>bn</c>).</summary>
    public string Name { get; }

    /// <summary>Other spellings of the same layer (<c>bn</c>; <c>fc</c>, <c>linear</c>).</summary>
    public IReadOnlyList<string> Aliases { get; }

    public ArgumentRule Argument { get; }

    public bool ArgumentRequired { get; }

    /// <summary>What the layer computes and its PyTorch counterpart, one or two sentences.</summary>
    public string Documentation { get; }

    /// <summary>The output shape as a formula of the input's.</summary>
    public string ShapeRule { get; }

    /// <summary>The learned parameters and their count.</summary>
    public string ParameterRule { get; }

    /// <summary>Every option spelling, in the order messages list them.</summary>
    public IReadOnlyList<string> OptionNames => _options.Select(o => o.Name).ToList();

    internal IReadOnlyList<OptionSpec> Options => _options;

    /// <summary>How a missing argument is asked for ("a window, e.g. `maxpool 2`").</summary>
    internal string ArgumentExample { get; }

    /// <summary>What the argument's values are, in messages.</summary>
    internal string ArgumentName { get; }

    /// <summary>An <see cref="ArgumentRule.OptionalScalar"/>'s value when it is not written.</summary>
    internal double DefaultScalar { get; }

    /// <summary>The option that spells an <see cref="ArgumentRule.OptionalScalar"/> out (<c>slope=</c>): its first.</summary>
    internal string? ScalarOption => Argument == ArgumentRule.OptionalScalar && _options.Length > 0 ? _options[0].Name : null;

    internal LayerFamily Family { get; set; } = null!;

    internal OptionSpec? FindOption(string name) => Array.Find(_options, o => o.Name == name);
}
