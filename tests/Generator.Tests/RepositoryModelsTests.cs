using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests;

/// <summary>Every .cnn file in the repository (examples, PyTorch reference cases) generates code that compiles.</summary>
public class RepositoryModelsTests
{
    public static string RepositoryRoot() => Repository.Root();

    /// <summary>Each example project and the reference cases compile as separate consumer projects
    /// (two examples may both define LeNet5).</summary>
    public static TheoryData<string> Folders()
    {
        var data = new TheoryData<string> { Path.Combine("tests", "References") };
        foreach (var project in Directory.GetDirectories(Path.Combine(RepositoryRoot(), "examples")).OrderBy(d => d))
            data.Add(Path.Combine("examples", Path.GetFileName(project)));
        return data;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void Repository_models_generate_compiling_code(string folder)
    {
        string root = Path.Combine(RepositoryRoot(), folder);
        var files = Directory.GetFiles(root, "*.cnn", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (AdditionalText)new CnnText(f, File.ReadAllText(f)))
            .ToList();
        Assert.NotEmpty(files);

        var run = Harness.Generate(files);
        run.AssertNoCrash();
        Assert.DoesNotContain(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.NotEmpty(run.Sources);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
    }
}
