using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using RoslynDescriptor = Microsoft.CodeAnalysis.DiagnosticDescriptor;

namespace CnnDsl.Generator.Diagnostics;

/// <summary>
/// The Roslyn side of the diagnostic catalogue: one <see cref="RoslynDescriptor"/> per Dsl rule
/// (built from <see cref="DiagnosticDescriptors.All"/>, so the Dsl stays the one home of ids,
/// severities and titles) plus the rules only the generator can see. Every id is listed in
/// AnalyzerReleases.Unshipped.md.
/// </summary>
internal static class GeneratorDiagnostics
{
    private static readonly Dictionary<string, RoslynDescriptor> s_byId = Build();

    /// <summary>CNN2050: two networks (in one or several files) generate the same class.</summary>
    public static readonly RoslynDescriptor DuplicateClassName = Create(
        "CNN2050", CnnSeverity.Error, "Duplicate generated class name",
        "network '{0}' generates class '{1}', which the network in '{2}' already generates; rename one of them or give it another namespace with an `in` clause");

    /// <summary>CNN9001: the generator itself failed; reported instead of dropping all output.</summary>
    public static RoslynDescriptor InternalError => s_byId[DiagnosticDescriptors.InternalError.Id];

    /// <summary>The descriptor for a Dsl rule id (a fallback one if the Dsl adds an id this build has not seen).</summary>
    public static RoslynDescriptor For(string id, CnnSeverity severity)
    {
        lock (s_byId)
        {
            if (!s_byId.TryGetValue(id, out var descriptor))
                s_byId[id] = descriptor = Create(id, severity, id, "{0}");
            return descriptor;
        }
    }

    /// <summary>A Dsl diagnostic as a Roslyn diagnostic at its place in the .cnn file.</summary>
    public static Diagnostic ToRoslyn(CnnDiagnostic diagnostic, string path)
    {
        var span = diagnostic.Span;
        var location = Location.Create(
            path,
            new TextSpan(span.Start, span.Length),
            new LinePositionSpan(new LinePosition(span.StartLine, span.StartColumn), new LinePosition(span.EndLine, span.EndColumn)));
        return Diagnostic.Create(For(diagnostic.Id, diagnostic.Severity), location, diagnostic.Message);
    }

    /// <summary>The start of a file, for diagnostics about a whole network (the IR holds no positions).</summary>
    public static Location FileStart(string path) =>
        Location.Create(path, default, new LinePositionSpan(default, default));

    private static Dictionary<string, RoslynDescriptor> Build()
    {
        var map = new Dictionary<string, RoslynDescriptor>();
        foreach (var rule in DiagnosticDescriptors.All)
            map[rule.Id] = Create(rule.Id, rule.Severity, rule.Title, "{0}");
        return map;
    }

    private static RoslynDescriptor Create(string id, CnnSeverity severity, string title, string messageFormat)
    {
        // Errors cannot be silenced: with NoWarn the build would "succeed" with the model missing.
        string[] tags = severity == CnnSeverity.Error
            ? new[] { WellKnownDiagnosticTags.NotConfigurable }
            : new string[0];
#pragma warning disable RS1017 // Ids come from the Dsl's catalogue; AnalyzerReleases.Unshipped.md lists them all.
        return new RoslynDescriptor(id, title, messageFormat, Category(id), ToRoslyn(severity), isEnabledByDefault: true,
            customTags: tags);
#pragma warning restore RS1017
    }

    private static DiagnosticSeverity ToRoslyn(CnnSeverity severity) => severity switch
    {
        CnnSeverity.Error => DiagnosticSeverity.Error,
        CnnSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };

    private static string Category(string id) => id.Length > 3 ? id[3] switch
    {
        '1' => "CnnDsl.Syntax",
        '2' => "CnnDsl.Shapes",
        '3' => "CnnDsl.Usage",
        '4' => "CnnDsl.Info",
        _ => "CnnDsl.Compiler",
    } : "CnnDsl.Compiler";
}
