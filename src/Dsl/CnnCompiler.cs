using System;
using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Semantics;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl;

/// <summary>Everything the language says about one .cnn file: the networks that checked, and all diagnostics.</summary>
public sealed record CompilationResult(EquatableArray<NetworkModel> Networks, EquatableArray<CnnDiagnostic> Diagnostics)
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

/// <summary>The language's entry point: text in, checked networks and diagnostics out. Total: it
/// never throws; an unexpected failure becomes diagnostic CNN9001.</summary>
public static class CnnCompiler
{
    public static CompilationResult Compile(string path, string text)
    {
        var diagnostics = new List<CnnDiagnostic>();
        try
        {
            var source = new SourceText(text ?? string.Empty);
            var file = new Parser(source, diagnostics).ParseFile();
            var networks = new Checker(path ?? string.Empty, source, file, diagnostics).Check();
            return new CompilationResult(networks.ToEquatableArray(), diagnostics.ToEquatableArray());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            diagnostics.Add(DiagnosticDescriptors.InternalError.Create(default,
                $"the .cnn compiler failed on this file ({ex.GetType().Name}: {ex.Message}); please report it with the file"));
            return new CompilationResult(EquatableArray<NetworkModel>.Empty, diagnostics.ToEquatableArray());
        }
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
