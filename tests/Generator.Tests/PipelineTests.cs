using System.Collections.Immutable;
using CnnDsl.Generator.Emit;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests;

/// <summary>The generator end to end: .cnn text in, diagnostics and compiled model classes out.</summary>
public class PipelineTests
{
    private const string Probe = """
        public static class Probe
        {
            public static int[] Input() => global::Consumer.LeNet5.InputShape.ToArray();
            public static int[] Output() => global::Consumer.LeNet5.OutputShape.ToArray();
            public static long Parameters() => global::Consumer.LeNet5.ParameterCount;
            public static string Summary() => global::Consumer.LeNet5.Summary;
        }
        """;

    [Fact]
    public void Diagnostics_are_reported_at_their_place_in_the_cnn_file()
    {
        var run = Harness.Generate(("/proj/models/bad.cnn", Harness.Bad));
        run.AssertNoCrash();
        var error = Assert.Single(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CNN2001", error.Id);
        var span = error.Location.GetLineSpan();
        Assert.Equal("/proj/models/bad.cnn", span.Path);
        Assert.Equal(2, span.StartLinePosition.Line);       // 0-based: line 3
        Assert.Equal(0, span.StartLinePosition.Character);  // 0-based: column 1
        Assert.Contains(WellKnownDiagnosticTags.NotConfigurable, error.Descriptor.CustomTags);
        Assert.Equal(Location.Create("/proj/models/bad.cnn", default, default).Kind, error.Location.Kind); // an external file location
    }

    [Fact]
    public void Syntax_errors_are_errors_that_cannot_be_silenced()
    {
        var run = Harness.Generate(("/p/syntax.cnn", "network N\ninput 784\ndense 10 $\n"));
        run.AssertNoCrash();
        var errors = run.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, d =>
        {
            Assert.StartsWith("CNN1", d.Id);
            Assert.Equal("/p/syntax.cnn", d.Location.GetLineSpan().Path);
            Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line);
            Assert.Contains(WellKnownDiagnosticTags.NotConfigurable, d.Descriptor.CustomTags);
        });
    }

    [Fact]
    public void A_broken_network_generates_nothing()
    {
        var run = Harness.Generate(("/p/bad.cnn", Harness.Bad));
        run.AssertNoCrash();
        Assert.Empty(run.Sources);
        Assert.Contains(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Generated_contract_compiles_and_has_the_right_values()
    {
        var run = Harness.Generate(new[] { new CnnText("/p/models/lenet5.cnn", Harness.LeNet5) }, new[] { Probe });
        run.AssertNoCrash();
        Assert.DoesNotContain(run.Diagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        var source = Assert.Single(run.Sources, s => !s.HintName.EndsWith(".Compute.g.cs") && !s.HintName.EndsWith(".Gpu.g.cs"));
        Assert.Equal("lenet5.Consumer.LeNet5.g.cs", source.HintName);
        string text = source.SourceText.ToString();
        Assert.Contains("namespace Consumer", text);
        Assert.Contains("lenet5.cnn, network LeNet5", text);

        var (input, output, parameters, summary) = Harness.Load(run.Output, a => (
            (int[])Harness.Invoke(a, "Probe", "Input")!,
            (int[])Harness.Invoke(a, "Probe", "Output")!,
            (long)Harness.Invoke(a, "Probe", "Parameters")!,
            (string)Harness.Invoke(a, "Probe", "Summary")!));
        Assert.Equal(new[] { 1, 28, 28 }, input);
        Assert.Equal(new[] { 10 }, output);
        Assert.Equal(61706, parameters);
        Assert.False(string.IsNullOrEmpty(summary));
    }

    [Fact]
    public void Same_class_name_in_two_files_is_an_error_not_a_crash()
    {
        var run = Harness.Generate(("/p/a/lenet.cnn", Harness.LeNet5), ("/p/b/lenet.cnn", Harness.LeNet5));
        run.AssertNoCrash();
        var duplicate = Assert.Single(run.Diagnostics, d => d.Id == "CNN2050");
        Assert.Equal(DiagnosticSeverity.Error, duplicate.Severity);
        Assert.Equal("/p/b/lenet.cnn", duplicate.Location.GetLineSpan().Path);
        Assert.Contains("/p/a/lenet.cnn", duplicate.GetMessage());
        Assert.Equal(Harness.FilesPerNetwork, run.Sources.Length);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Networks_in_different_namespaces_with_the_same_name_both_generate()
    {
        string other = Harness.LeNet5.Replace("network LeNet5", "network LeNet5 in Other.Models");
        var run = Harness.Generate(("/p/a/lenet.cnn", Harness.LeNet5), ("/p/b/lenet.cnn", other));
        run.AssertNoCrash();
        Assert.DoesNotContain(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(2 * Harness.FilesPerNetwork, run.Sources.Length);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void A_throwing_emitter_is_reported_as_CNN9001_and_other_networks_still_generate()
    {
        var generator = new CnnGenerator(ImmutableArray.Create(
            new ModelEmitter("", ContractEmitter.Emit),
            new ModelEmitter("Boom", (n, _) => n.Network.Name == "Broken" ? throw new InvalidOperationException("boom") : "// fine\n")));
        var files = new AdditionalText[]
        {
            new CnnText("/p/lenet.cnn", Harness.LeNet5),
            new CnnText("/p/broken.cnn", Harness.LeNet5.Replace("network LeNet5", "network Broken")),
        };
        var run = Harness.Generate(files, generator: generator);
        run.AssertNoCrash();
        var error = Assert.Single(run.Diagnostics, d => d.Id == "CNN9001");
        Assert.Contains("boom", error.GetMessage());
        Assert.Equal("/p/broken.cnn", error.Location.GetLineSpan().Path);
        Assert.Equal(new[] { "lenet.Consumer.LeNet5.Boom.g.cs", "lenet.Consumer.LeNet5.g.cs" }, run.Sources.Select(s => s.HintName).OrderBy(h => h, StringComparer.Ordinal));
    }

    [Fact]
    public void An_unreadable_file_is_reported_as_CNN9001_without_crashing()
    {
        var run = Harness.Generate(new AdditionalText[] { new ThrowingText("/p/x.cnn"), new CnnText("/p/ok.cnn", "# nothing here\n") });
        run.AssertNoCrash();
        var error = Assert.Single(run.Diagnostics, d => d.Id == "CNN9001");
        Assert.Equal("/p/x.cnn", error.Location.GetLineSpan().Path);
        Assert.Contains("disk on fire", error.GetMessage());
    }

    [Fact]
    public void Generated_code_names_the_cnn_file_relative_to_the_project()
    {
        var run = Harness.Generate(new[] { new CnnText("/home/me/proj/models/lenet5.cnn", Harness.LeNet5) }, projectDir: "/home/me/proj/");
        run.AssertNoCrash();
        string text = string.Join("\n", run.Sources.Select(s => s.SourceText.ToString()));
        Assert.Contains("from models/lenet5.cnn, network LeNet5", text);
        Assert.DoesNotContain("/home/me", text);

        var bad = Harness.Generate(new[] { new CnnText("/home/me/proj/models/bad.cnn", Harness.Bad) }, projectDir: "/home/me/proj/");
        Assert.Equal("/home/me/proj/models/bad.cnn", Assert.Single(bad.Diagnostics, d => d.Severity == DiagnosticSeverity.Error).Location.GetLineSpan().Path);
    }

    [Fact]
    public void Only_cnn_files_are_read()
    {
        var run = Harness.Generate(("/p/notes.txt", "network X\ninput 1x5x5\nconv 7x7x16\n"));
        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Sources);
    }
}
