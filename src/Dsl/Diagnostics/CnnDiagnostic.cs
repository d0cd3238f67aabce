using System.Globalization;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Diagnostics;

public enum CnnSeverity
{
    Info,
    Warning,
    Error,
}

/// <summary>
/// A diagnostic as data: which rule, where in the .cnn file, what to say. The generator turns
/// these into Roslyn diagnostics; other hosts (CLI, editor) print or draw them.
/// </summary>
public sealed record CnnDiagnostic(string Id, CnnSeverity Severity, SourceSpan Span, string Message)
{
    public bool IsError => Severity == CnnSeverity.Error;

    /// <summary>MSBuild's canonical form: <c>file(line,col): error CNN2001: message</c>.</summary>
    public string Format(string path)
    {
        string severity = Severity switch
        {
            CnnSeverity.Error => "error",
            CnnSeverity.Warning => "warning",
            _ => "info",
        };
        return string.Format(CultureInfo.InvariantCulture, "{0}({1},{2}): {3} {4}: {5}",
            path, Span.StartLine + 1, Span.StartColumn + 1, severity, Id, Message);
    }
}
