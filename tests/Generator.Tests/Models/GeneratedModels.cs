using System.Reflection;
using CnnDsl.Runtime;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>Builds a .cnn text through the real generator, compiles it with optional probe code, and runs it.</summary>
internal static class GeneratedModels
{
    public static string RepositoryRoot() => Repository.Root();

    public static T With<T>(string cnnText, Func<Assembly, T> use, string precision = "float", params string[] sources)
    {
        var compilation = Harness.Compilation(sources);
        var driver = Harness.Driver(new AdditionalText[] { new CnnText("/p/models/model.cnn", cnnText) }, precision: precision, projectDir: "/p/")
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var errors = driver.GetRunResult().Diagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        return Harness.Load(output, use);
    }

    public static T WithModel<T>(string cnnText, Func<IModel, T> use, int seed = 0) =>
        With(cnnText, assembly =>
        {
            var type = assembly.GetTypes().Single(t => typeof(IModel).IsAssignableFrom(t));
            return use((IModel)Activator.CreateInstance(type, seed)!);
        });
}
