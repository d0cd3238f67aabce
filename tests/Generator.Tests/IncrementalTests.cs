using CnnDsl.Generator.Model;
using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests;

/// <summary>
/// Caching, checked with trackIncrementalGeneratorSteps: each step's outputs say whether they
/// were recomputed (New/Modified) or reused (Cached/Unchanged).
/// </summary>
public class IncrementalTests
{
    private static readonly string[] s_steps =
    {
        TrackingNames.Settings, TrackingNames.Files, TrackingNames.Compiled, TrackingNames.Diagnostics,
        TrackingNames.Networks, TrackingNames.NetworksWithSettings, TrackingNames.Emitted, TrackingNames.Collected,
    };

    private static readonly string Other = Harness.LeNet5.Replace("network LeNet5", "network Other");

    private static bool Reused(IncrementalStepRunReason reason) =>
        reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged;

    /// <summary>(step, .cnn path or null, reason) for every output of our named steps.</summary>
    private static List<(string Step, string? Path, IncrementalStepRunReason Reason)> Outputs(GeneratorDriver driver)
    {
        var result = new List<(string, string?, IncrementalStepRunReason)>();
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in s_steps)
        {
            if (!steps.TryGetValue(name, out var runs)) continue;
            foreach (var run in runs)
                foreach (var (value, reason) in run.Outputs)
                    result.Add((name, PathOf(value), reason));
        }
        return result;
    }

    private static string? PathOf(object value) => value switch
    {
        CnnFile f => f.Path,
        CompiledFile c => c.Path,
        FileDiagnostics d => d.Path,
        NetworkInput n => n.Path,
        EmittedNetwork e => e.SourcePath,
        ValueTuple<NetworkInput, GeneratorSettings> pair => pair.Item1.Path,
        _ => null,
    };

    private static (GeneratorDriver Driver, Compilation Compilation, CnnText A, CnnText B) FirstRun()
    {
        var a = new CnnText("/p/a.cnn", Harness.LeNet5);
        var b = new CnnText("/p/b.cnn", Other);
        var compilation = Harness.Compilation("class User { }");
        var driver = Harness.Driver(new AdditionalText[] { a, b }).RunGenerators(compilation);
        Assert.Equal(2 * Harness.FilesPerNetwork, driver.GetRunResult().GeneratedTrees.Length);
        return (driver, compilation, a, b);
    }

    [Fact]
    public void An_unrelated_CSharp_edit_reuses_every_step()
    {
        var (driver, compilation, _, _) = FirstRun();
        var edited = compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class More { int X; }", Harness.ParseOptions));
        driver = driver.RunGenerators(edited);

        var outputs = Outputs(driver);
        Assert.Contains(outputs, o => o.Step == TrackingNames.Emitted);
        Assert.All(outputs, o => Assert.True(Reused(o.Reason), $"{o.Step} {o.Path}: {o.Reason}"));
    }

    [Fact]
    public void Editing_one_cnn_file_recomputes_only_that_file()
    {
        var (driver, compilation, a, _) = FirstRun();
        var a2 = new CnnText(a.Path, a.Text.Replace("dense 10", "dense 12"));
        driver = driver.ReplaceAdditionalText(a, a2).RunGenerators(compilation);

        var outputs = Outputs(driver);
        Assert.All(outputs.Where(o => o.Path == "/p/b.cnn"), o => Assert.True(Reused(o.Reason), $"{o.Step} b.cnn: {o.Reason}"));
        foreach (var step in new[] { TrackingNames.Files, TrackingNames.Compiled, TrackingNames.Networks, TrackingNames.Emitted })
            Assert.Contains(outputs, o => o.Step == step && o.Path == "/p/a.cnn" && o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(outputs, o => o.Step == TrackingNames.Emitted && o.Path == "/p/b.cnn");
    }

    [Fact]
    public void A_comment_only_edit_stops_at_the_model_step()
    {
        var (driver, compilation, a, _) = FirstRun();
        var a2 = new CnnText(a.Path, "# LeNet-5, LeCun et al. 1998\n" + a.Text.Replace("dense 84 -> relu", "dense 84 -> relu   // second hidden layer"));
        driver = driver.ReplaceAdditionalText(a, a2).RunGenerators(compilation);

        var outputs = Outputs(driver);
        Assert.Contains(outputs, o => o.Step == TrackingNames.Files && o.Path == "/p/a.cnn" && o.Reason == IncrementalStepRunReason.Modified);
        // The IR holds no positions: the networks compare equal, so nothing downstream is recomputed.
        var networks = outputs.Where(o => o.Step == TrackingNames.Networks && o.Path == "/p/a.cnn").ToList();
        Assert.NotEmpty(networks);
        Assert.All(networks, o => Assert.True(Reused(o.Reason), $"Networks a.cnn: {o.Reason}"));
        var emitted = outputs.Where(o => o.Step == TrackingNames.Emitted).ToList();
        Assert.Equal(2, emitted.Count);
        Assert.All(emitted, o => Assert.True(Reused(o.Reason), $"Emitted {o.Path}: {o.Reason}"));
    }
}
