using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using CnnDsl.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Gpu.Tests;

/// <summary>Runs the real generator on a .cnn text plus C# probe sources, compiles to memory and loads the result.</summary>
internal static class Harness
{
    private static readonly CSharpParseOptions s_parse = new(LanguageVersion.CSharp10);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(CnnDsl.Runtime.IModel).Assembly.Location)
            .Append(typeof(ILGPU.Context).Assembly.Location)
            .Where(p => p.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    public static string RepositoryRoot() => Repository.Root();

    public static (Compilation Output, ImmutableArray<GeneratedSourceResult> Sources) Generate(string cnnText, params string[] sources)
    {
        var compilation = CSharpCompilation.Create("Consumer",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, s_parse)), s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var options = ImmutableDictionary<string, string>.Empty
            .Add("build_property.ProjectDir", "/p/").Add("build_property.RootNamespace", "Consumer");
        var driver = CSharpGeneratorDriver.Create(new[] { new CnnGenerator().AsSourceGenerator() },
                new AdditionalText[] { new CnnText("/p/models/model.cnn", cnnText) }, s_parse, new OptionsProvider(options))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var errors = driver.GetRunResult().Diagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        return (output, driver.GetRunResult().Results.Single().GeneratedSources);
    }

    public static T Load<T>(Compilation compilation, Func<Assembly, T> use)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        stream.Position = 0;
        var context = new AssemblyLoadContext("generated", isCollectible: true);
        try
        {
            return use(context.LoadFromStream(stream));
        }
        finally
        {
            context.Unload();
        }
    }
}
