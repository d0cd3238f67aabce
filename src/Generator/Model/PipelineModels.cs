using System;
using System.Collections.Generic;
using System.Threading;
using CnnDsl.Dsl;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using Microsoft.CodeAnalysis;

namespace CnnDsl.Generator.Model;

// The values that flow between pipeline steps: strings, numbers and equatable arrays only —
// no AdditionalText, Location or Compilation — so every step can be cached by value.

/// <summary>A .cnn file's path and text (or why it could not be read).</summary>
internal sealed record CnnFile(string Path, string Text, string? ReadError)
{
    public static CnnFile Read(AdditionalText text, CancellationToken ct)
    {
        try
        {
            var source = text.GetText(ct);
            return source is null
                ? new CnnFile(text.Path, "", "the file could not be read")
                : new CnnFile(text.Path, source.ToString(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new CnnFile(text.Path, "", $"{ex.GetType().Name}: {ex.Message}");
        }
    }
}

/// <summary>One file compiled by the Dsl: its networks and diagnostics (with positions).</summary>
internal sealed record CompiledFile(string Path, CompilationResult Result)
{
    /// <summary>
    /// Compiles under the project-relative path (what networks' SourcePath and summaries show);
    /// <see cref="Path"/> stays absolute for diagnostics.
    /// </summary>
    public static CompiledFile Compile(CnnFile file, string? projectDirectory)
    {
        if (file.ReadError is not null)
        {
            var error = DiagnosticDescriptors.InternalError.Create(default, "cannot read the .cnn file: " + file.ReadError);
            return new CompiledFile(file.Path, new CompilationResult(EquatableArray<PlannedNetwork>.Empty, new EquatableArray<CnnDiagnostic>(new[] { error })));
        }
        return new CompiledFile(file.Path, CnnCompiler.Compile(DisplayPath(file.Path, projectDirectory), file.Text));
    }

    /// <summary><paramref name="path"/> relative to the project directory with '/' separators, else unchanged.</summary>
    public static string DisplayPath(string path, string? projectDirectory)
    {
        if (string.IsNullOrEmpty(projectDirectory)) return path;
        string dir = projectDirectory!.Replace('\\', '/');
        if (!dir.EndsWith("/", StringComparison.Ordinal)) dir += "/";
        string full = path.Replace('\\', '/');
        return full.StartsWith(dir, StringComparison.OrdinalIgnoreCase) && full.Length > dir.Length ? full.Substring(dir.Length) : path;
    }
}

/// <summary>A checked network and the absolute path of its file (for diagnostics about it).</summary>
internal sealed record NetworkInput(string Path, PlannedNetwork Network)
{
    public static IEnumerable<NetworkInput> Of(CompiledFile file)
    {
        foreach (var network in file.Result.Networks)
            yield return new NetworkInput(file.Path, network);
    }
}

internal sealed record FileDiagnostics(string Path, EquatableArray<CnnDiagnostic> Diagnostics);

/// <summary>One generated file of a network: hint-name suffix ("" for the contract) and text.</summary>
internal sealed record EmittedFile(string Suffix, string Text);

/// <summary>Everything generated for one network, or the error that stopped its emission.</summary>
internal sealed record EmittedNetwork(
    string FullName,
    string HintBase,
    string SourcePath,
    EquatableArray<EmittedFile> Files,
    string? Error);
