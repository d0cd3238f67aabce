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

namespace CnnDsl.Generator.Tests;

/// <summary>An additional file whose reading fails (a generator-level exception path).</summary>
internal sealed class ThrowingText(string path) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => throw new IOException("disk on fire");
}

/// <summary>Runs the generator the way the compiler does, offline, and loads what it produced.</summary>
internal static class Harness
{
    /// <summary>Each network yields the contract part, the compute part and the GPU part.</summary>
    public const int FilesPerNetwork = 3;

    public const string LeNet5 = """
        network LeNet5
        input 1x28x28
        conv 5x5x6 p2 -> relu -> maxpool 2
        conv 5x5x16 -> relu -> maxpool 2
        flatten
        dense 120 -> relu
        dense 84 -> relu
        dense 10
        """;

    public const string Bad = "network Bad\ninput 1x5x5\nconv 7x7x16\n";

    /// <summary>The oldest consumer language version we support.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp10);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(CnnDsl.Runtime.IModel).Assembly.Location)
            .Where(p => p.Length > 0)
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "Consumer",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> files, string? rootNamespace = "Consumer", string? precision = null,
        IIncrementalGenerator? generator = null, string? projectDir = null)
    {
        var options = ImmutableDictionary<string, string>.Empty;
        if (projectDir is not null) options = options.Add("build_property.ProjectDir", projectDir);
        if (rootNamespace is not null) options = options.Add("build_property.RootNamespace", rootNamespace);
        if (precision is not null) options = options.Add("build_property.CnnDslPrecision", precision);
        return CSharpGeneratorDriver.Create(
            new[] { (generator ?? new CnnGenerator()).AsSourceGenerator() },
            files,
            ParseOptions,
            new OptionsProvider(options),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    /// <summary>Generator output for the given .cnn files plus C# sources.</summary>
    public static Run Generate(IEnumerable<AdditionalText> files, string[]? sources = null, string? rootNamespace = "Consumer",
        IIncrementalGenerator? generator = null, string? projectDir = null)
    {
        var compilation = Compilation(sources ?? Array.Empty<string>());
        var driver = Driver(files, rootNamespace, generator: generator, projectDir: projectDir)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        return new Run(driver.GetRunResult(), output, driverDiagnostics);
    }

    public static Run Generate(params (string Path, string Text)[] files) =>
        Generate(files.Select(f => (AdditionalText)new CnnText(f.Path, f.Text)));

    /// <summary>Compiles to memory, loads into a collectible context, runs <paramref name="use"/>, unloads.</summary>
    public static T Load<T>(Compilation compilation, Func<Assembly, T> use)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
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

    public static object? Invoke(Assembly assembly, string type, string method) =>
        assembly.GetType(type, throwOnError: true)!.GetMethod(method)!.Invoke(null, null);
}

internal sealed record Run(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Generator => Result.Results.Single();

    public ImmutableArray<Diagnostic> Diagnostics => Generator.Diagnostics;

    public ImmutableArray<GeneratedSourceResult> Sources => Generator.GeneratedSources;

    /// <summary>The generator ran without an escaping exception (no CS8784/CS8785).</summary>
    public void AssertNoCrash()
    {
        Assert.Null(Generator.Exception);
        Assert.DoesNotContain(DriverDiagnostics, d => d.Id is "CS8784" or "CS8785");
    }
}
