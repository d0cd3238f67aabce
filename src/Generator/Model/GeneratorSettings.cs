using Microsoft.CodeAnalysis.Diagnostics;

namespace CnnDsl.Generator.Model;

internal enum Precision
{
    Float,
    Double,
}

/// <summary>
/// The consumer project's MSBuild properties the generator reads (made visible by
/// CnnDsl.props): reduced at once to this small equatable value.
/// </summary>
internal sealed record GeneratorSettings(string? RootNamespace, Precision Precision)
{
    public static GeneratorSettings Default { get; } = new(null, Precision.Float);

    /// <summary>The C# keyword of the element type: <c>float</c> or <c>double</c>.</summary>
    public string ElementType => Precision == Precision.Double ? "double" : "float";

    public static GeneratorSettings From(AnalyzerConfigOptions options)
    {
        options.TryGetValue("build_property.RootNamespace", out var rootNamespace);
        options.TryGetValue("build_property.CnnDslPrecision", out var precision);
        return new GeneratorSettings(
            string.IsNullOrWhiteSpace(rootNamespace) ? null : rootNamespace!.Trim(),
            precision is not null && precision.Trim().Equals("double", System.StringComparison.OrdinalIgnoreCase)
                ? Precision.Double
                : Precision.Float);
    }
}
