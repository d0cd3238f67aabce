using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnDsl.Dsl.Families;

/// <summary>Every layer family and keyword of the language: the one list the checker, the suggestions
/// and the editor read.</summary>
public static class LayerFamilies
{
    private static readonly LayerFamily[] s_families =
    {
        new ConvolutionFamily(),
        new PoolingFamily(),
        new AdaptivePoolingFamily(),
        new MaxoutFamily(),
        new ActivationFamily(),
        new SoftmaxFamily(),
        new NormalizationFamily(),
        new DropoutFamily(),
        new ReshapingFamily(),
        new DenseFamily(),
    };

    private static readonly Dictionary<string, LayerKeyword> s_byKeyword = Index();

    private static Dictionary<string, LayerKeyword> Index()
    {
        var map = new Dictionary<string, LayerKeyword>(StringComparer.Ordinal);
        foreach (var family in s_families)
        {
            foreach (var keyword in family.Keywords)
            {
                keyword.Family = family;
                map.Add(keyword.Name, keyword);
            }
        }
        foreach (var keyword in map.Values.ToList())
            foreach (var alias in keyword.Aliases)
                map.Add(alias, keyword);
        return map;
    }

    public static IReadOnlyList<LayerFamily> All => s_families;

    /// <summary>The keyword (case-insensitive, aliases included), or false.</summary>
    public static bool TryGet(string keyword, out LayerKeyword definition) => s_byKeyword.TryGetValue(keyword.ToLowerInvariant(), out definition!);

    /// <summary>Every spelling of a layer keyword, aliases last.</summary>
    public static IEnumerable<string> Keywords => s_byKeyword.Keys;

    /// <summary>Structural keywords, offered as suggestions too.</summary>
    public static readonly string[] StructureKeywords = { "repeat", "concat", "add", "residual", "input", "budget" };
}
