using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace CnnDsl.Tests.Shared;

// What the compiler hands the generator, built in memory: linked into every test project that drives it.

/// <summary>A .cnn file held in memory.</summary>
internal sealed class CnnText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public string Text { get; } = text;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(Text, Encoding.UTF8);
}

internal sealed class GlobalOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
{
    public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
}

/// <summary>MSBuild properties (<c>build_property.*</c>) as the generator sees them.</summary>
internal sealed class OptionsProvider(ImmutableDictionary<string, string> global) : AnalyzerConfigOptionsProvider
{
    private static readonly GlobalOptions s_empty = new(ImmutableDictionary<string, string>.Empty);

    public override AnalyzerConfigOptions GlobalOptions { get; } = new GlobalOptions(global);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => s_empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => s_empty;
}
