using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using CnnDsl.Generator.Diagnostics;
using CnnDsl.Generator.Model;
using Microsoft.CodeAnalysis;

namespace CnnDsl.Generator;

/// <summary>
/// The two output callbacks. Each catches everything: one exception escaping a callback would
/// drop all of the generator's output (CS8785) and leave the user with CS0246 everywhere.
/// </summary>
internal static class SourceOutput
{
    public static void ReportDiagnostics(SourceProductionContext context, FileDiagnostics file)
    {
        foreach (var diagnostic in file.Diagnostics)
        {
            try
            {
                context.ReportDiagnostic(GeneratorDiagnostics.ToRoslyn(diagnostic, file.Path));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ReportInternalError(context, file.Path, "reporting " + diagnostic.Id, ex);
            }
        }
    }

    /// <summary>
    /// Adds every network's files, once per class name: a second network generating the same
    /// class gets CNN2050 instead of a hint-name clash. Hint names are made unique as well
    /// (they compare case-insensitively, class names do not).
    /// </summary>
    public static void AddSources(SourceProductionContext context, ImmutableArray<EmittedNetwork> networks)
    {
        var classes = new Dictionary<string, EmittedNetwork>(StringComparer.Ordinal);
        var hints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var network in networks.OrderBy(n => n.SourcePath, StringComparer.Ordinal).ThenBy(n => n.FullName, StringComparer.Ordinal))
        {
            try
            {
                if (network.Error is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.InternalError,
                        GeneratorDiagnostics.FileStart(network.SourcePath), network.Error));
                    continue;
                }

                if (classes.TryGetValue(network.FullName, out var first))
                {
                    context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.DuplicateClassName,
                        GeneratorDiagnostics.FileStart(network.SourcePath), ShortName(network.FullName), network.FullName, first.SourcePath));
                    continue;
                }
                classes.Add(network.FullName, network);

                string hintBase = network.HintBase;
                for (int i = 2; network.Files.Any(f => hints.Contains(HintName(hintBase, f.Suffix))); i++)
                    hintBase = network.HintBase + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

                foreach (var file in network.Files)
                {
                    string hint = HintName(hintBase, file.Suffix);
                    hints.Add(hint);
                    context.AddSource(hint, file.Text);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ReportInternalError(context, network.SourcePath, "adding the sources of " + network.FullName, ex);
            }
        }
    }

    public static string HintName(string hintBase, string suffix) =>
        suffix.Length == 0 ? hintBase + ".g.cs" : hintBase + "." + suffix + ".g.cs";

    private static string ShortName(string fullName) => fullName.Substring(fullName.LastIndexOf('.') + 1);

    private static void ReportInternalError(SourceProductionContext context, string path, string what, Exception ex) =>
        context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.InternalError, GeneratorDiagnostics.FileStart(path),
            $"the CnnDsl generator failed while {what} ({ex.GetType().Name}: {ex.Message}); please report it with the file"));
}
