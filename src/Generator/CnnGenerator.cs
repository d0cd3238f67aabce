using System;
using System.Collections.Immutable;
using CnnDsl.Dsl;
using CnnDsl.Generator.Emit;
using CnnDsl.Generator.Model;
using Microsoft.CodeAnalysis;

namespace CnnDsl.Generator;

/// <summary>
/// Compiles every <c>.cnn</c> AdditionalFile with the Dsl, reports its diagnostics at their
/// place in the file, and emits one set of partial files per checked network.
/// The stages live elsewhere: the language in <c>src/Dsl</c>, the C# in <see cref="ModelEmitters"/>,
/// the sources' names and collisions in <see cref="SourceOutput"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CnnGenerator : IIncrementalGenerator
{
    private readonly ImmutableArray<ModelEmitter> _emitters;

    public CnnGenerator() : this(ModelEmitters.All) { }

    /// <summary>For tests: a generator with another set of emitters (e.g. one that throws).</summary>
    internal CnnGenerator(ImmutableArray<ModelEmitter> emitters) => _emitters = emitters;

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var settings = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => GeneratorSettings.From(options.GlobalOptions))
            .WithTrackingName(TrackingNames.Settings);

        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".cnn", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => CnnFile.Read(text, ct))
            .WithTrackingName(TrackingNames.Files);

        // Generated code names its .cnn file relative to the project, not by a machine's absolute path.
        var projectDirectory = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.ProjectDir", out var dir) ? dir : null)
            .WithTrackingName(TrackingNames.ProjectDirectory);

        var compiled = files
            .Combine(projectDirectory)
            .Select(static (pair, _) => CompiledFile.Compile(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Compiled);

        var diagnostics = compiled
            .Select(static (file, _) => new FileDiagnostics(file.Path, file.Result.Diagnostics))
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, file) => SourceOutput.ReportDiagnostics(spc, file));

        var networks = compiled
            .SelectMany(static (file, _) => NetworkInput.Of(file))
            .WithTrackingName(TrackingNames.Networks);

        var emitters = _emitters;
        var emitted = networks
            .Combine(settings)
            .WithTrackingName(TrackingNames.NetworksWithSettings)
            .Select((pair, ct) => NetworkEmitter.Emit(pair.Left.Network, pair.Left.Path, pair.Right, emitters, ct))
            .WithTrackingName(TrackingNames.Emitted);

        var all = emitted.Collect().WithTrackingName(TrackingNames.Collected);
        context.RegisterSourceOutput(all, static (spc, networks) => SourceOutput.AddSources(spc, networks));
    }
}

/// <summary>Step names for <c>trackIncrementalGeneratorSteps</c> (tests assert on them).</summary>
public static class TrackingNames
{
    public const string Settings = nameof(Settings);
    public const string Files = nameof(Files);
    public const string ProjectDirectory = nameof(ProjectDirectory);
    public const string Compiled = nameof(Compiled);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Networks = nameof(Networks);
    public const string NetworksWithSettings = nameof(NetworksWithSettings);
    public const string Emitted = nameof(Emitted);
    public const string Collected = nameof(Collected);
}
