using System;
using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Dsl.Semantics;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl;

/// <summary>Everything the language says about one .cnn file: the networks that checked, with their plans,
/// and all diagnostics.</summary>
public sealed record CompilationResult(EquatableArray<PlannedNetwork> Networks, EquatableArray<CnnDiagnostic> Diagnostics)
{
    public bool HasErrors
    {
        get
        {
            foreach (var d in Diagnostics) if (d.IsError) return true;
            return false;
        }
    }
}

/// <summary>The language's entry point: text in, checked and planned networks and diagnostics out. The
/// stages run one after the other: parse, check, plan (then the summary and the info diagnostics read
/// the plan). Total: it never throws; an unexpected failure becomes diagnostic CNN9001.</summary>
public static class CnnCompiler
{
    public static CompilationResult Compile(string path, string text)
    {
        var diagnostics = new List<CnnDiagnostic>();
        try
        {
            var source = new SourceText(text ?? string.Empty);
            var file = new Parser(source, diagnostics).ParseFile();
            var networks = new List<PlannedNetwork>();
            foreach (var network in new Checker(path ?? string.Empty, source, file, diagnostics).Check())
            {
                var plan = Planner.Plan(network.Network);
                var planned = new PlannedNetwork(network.Network, plan, SummaryWriter.Write(network.Network, plan));
                Report(planned, network, diagnostics);
                if (network.Accepted) networks.Add(planned);
            }
            return new CompilationResult(networks.ToEquatableArray(), diagnostics.ToEquatableArray());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            diagnostics.Add(DiagnosticDescriptors.InternalError.Create(default,
                $"the .cnn compiler failed on this file ({ex.GetType().Name}: {ex.Message}); please report it with the file"));
            return new CompilationResult(EquatableArray<PlannedNetwork>.Empty, diagnostics.ToEquatableArray());
        }
    }

    /// <summary>The info diagnostics of a planned network: per layer its shape, cost and kernel (CNN4001),
    /// the fusions and fast paths the plan declined (CNN4003), and the network's totals (CNN4002).</summary>
    private static void Report(PlannedNetwork planned, Checker.CheckedNetwork network, List<CnnDiagnostic> diagnostics)
    {
        var layers = planned.Network.Layers;
        for (int i = 0; i < layers.Count; i++)
            diagnostics.Add(DiagnosticDescriptors.LayerInfo.Create(network.LayerSpans[i], SummaryWriter.LayerLine(layers[i], planned.Plan.Steps[i])));
        foreach (var note in planned.Plan.Notes)
            diagnostics.Add(DiagnosticDescriptors.PlanNote.Create(network.LayerSpans[note.Layer], note.Message));
        diagnostics.Add(DiagnosticDescriptors.NetworkInfo.Create(network.NameSpan, SummaryWriter.NetworkLine(planned.Network, planned.Plan)));
    }

    /// <summary>Parses without checking (for tools that want the syntax tree).</summary>
    public static FileSyntax Parse(string text, out IReadOnlyList<CnnDiagnostic> diagnostics)
    {
        var list = new List<CnnDiagnostic>();
        var file = new Parser(new SourceText(text ?? string.Empty), list).ParseFile();
        diagnostics = list;
        return file;
    }
}
