using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Families;

/// <summary>
/// One layer family's definition: its keywords (argument, options, documentation, shape and parameter
/// rules) and how a use of one becomes a checked layer record, with its shape, parameters, initial
/// values and cost. The back ends have one emitter per family (src/Generator/Emit/Families).
/// </summary>
public abstract class LayerFamily
{
    /// <summary>The family's name (<c>convolution</c>, <c>pooling</c>, …).</summary>
    public abstract string Name { get; }

    public abstract IReadOnlyList<LayerKeyword> Keywords { get; }

    /// <summary>The checked layer for one use of <see cref="LayerBuilder.Keyword"/>, or null after
    /// reporting why it is wrong.</summary>
    internal abstract LayerModel? Build(LayerBuilder b);
}

/// <summary>
/// A family whose keywords are the named values of <typeparamref name="TVariant"/> (one keyword per
/// activation function, per pooling function, …): <see cref="Define"/> is an exhaustive switch, so a
/// new value without its keyword is a compile error.
/// </summary>
internal abstract class VariantFamily<TVariant> : LayerFamily where TVariant : struct, System.Enum
{
    private readonly Dictionary<string, TVariant> _variants = new();
    private readonly LayerKeyword[] _keywords;

    protected VariantFamily()
    {
        var keywords = new List<LayerKeyword>();
        foreach (TVariant variant in System.Enum.GetValues(typeof(TVariant)))
        {
            var keyword = Define(variant);
            _variants.Add(keyword.Name, variant);
            keywords.Add(keyword);
        }
        _keywords = keywords.ToArray();
    }

    public sealed override IReadOnlyList<LayerKeyword> Keywords => _keywords;

    /// <summary>The keyword of one variant (called from the constructor: use static data only).</summary>
    protected abstract LayerKeyword Define(TVariant variant);

    internal sealed override LayerModel? Build(LayerBuilder b) => Build(b, _variants[b.Keyword.Name]);

    protected abstract LayerModel? Build(LayerBuilder b, TVariant variant);
}
