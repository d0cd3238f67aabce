using CnnDsl.Dsl;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;

namespace CnnDsl.Dsl.Tests;

internal static class T
{
    public static CompilationResult Compile(string text, string path = "test.cnn") => CnnCompiler.Compile(path, text);

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CnnDsl.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string ExamplePath(string name) => Path.Combine(RepoRoot, "examples", "Zoo", "models", name);

    public static CompilationResult CompileExample(string name) => CnnCompiler.Compile(name, File.ReadAllText(ExamplePath(name)));

    /// <summary>Compiles and returns the only network, failing with all errors listed when there is none.</summary>
    public static NetworkModel Network(string text) => Planned(text).Network;

    /// <summary>The only network with its plan.</summary>
    public static PlannedNetwork Planned(string text)
    {
        var result = Compile(text);
        var errors = result.Diagnostics.Where(d => d.Severity != CnnSeverity.Info).Select(d => d.Format("test.cnn")).ToList();
        Assert.True(result.Networks.Count == 1, "expected one network; diagnostics:\n" + string.Join("\n", errors));
        Assert.False(result.HasErrors, string.Join("\n", errors));
        return result.Networks[0];
    }

    /// <summary>A network body after a standard header.</summary>
    public static NetworkModel Net(string input, string body) => Network($"network N\ninput {input}\n{body}\n");

    /// <summary>A network body after a standard header, with its plan.</summary>
    public static PlannedNetwork PlannedNet(string input, string body) => Planned($"network N\ninput {input}\n{body}\n");

    /// <summary>The checked networks of a result, without their plans.</summary>
    public static IReadOnlyList<NetworkModel> Models(this CompilationResult result) => result.Networks.Select(n => n.Network).ToList();

    public static LayerModel Last(NetworkModel n) => n.Layers[n.Layers.Count - 1];

    // The layer records by family, asserting the family.
    public static ConvolutionLayer Conv(this LayerModel l) => Assert.IsType<ConvolutionLayer>(l);
    public static PoolingLayer Pool(this LayerModel l) => Assert.IsType<PoolingLayer>(l);
    public static ActivationLayer Act(this LayerModel l) => Assert.IsType<ActivationLayer>(l);
    public static DropoutLayer Drop(this LayerModel l) => Assert.IsType<DropoutLayer>(l);
    public static BatchNormLayer Bn(this LayerModel l) => Assert.IsType<BatchNormLayer>(l);
    public static DenseLayer Dense(this LayerModel l) => Assert.IsType<DenseLayer>(l);
    public static MergeLayer Merge(this LayerModel l) => Assert.IsType<MergeLayer>(l);

    public static IEnumerable<CnnDiagnostic> Problems(this CompilationResult r) => r.Diagnostics.Where(d => d.Severity != CnnSeverity.Info);

    public static CnnDiagnostic Single(CompilationResult result, string id)
    {
        var matches = result.Diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matches.Count == 1, $"expected one {id} but got {matches.Count}; all:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity != CnnSeverity.Info).Select(d => d.Format("t") + " " + d.Span)));
        return matches[0];
    }

    /// <summary>Asserts the span in 0-based (line, column) pairs as stored in <c>SourceSpan</c>.</summary>
    public static void Span(CnnDiagnostic d, int startLine, int startColumn, int endLine, int endColumn)
    {
        var s = d.Span;
        Assert.True((s.StartLine, s.StartColumn, s.EndLine, s.EndColumn) == (startLine, startColumn, endLine, endColumn),
            $"{d.Id} span is ({s.StartLine},{s.StartColumn})-({s.EndLine},{s.EndColumn}), expected ({startLine},{startColumn})-({endLine},{endColumn}): {d.Message}");
    }

    /// <summary>Checks that a span's offsets and line/column agree with the text.</summary>
    public static void SpanConsistent(string text, CnnDiagnostic d)
    {
        var s = d.Span;
        Assert.True(s.Start >= 0 && s.Length >= 0 && s.Start + s.Length <= text.Length, $"{d.Id} span {s.Start}+{s.Length} outside text of {text.Length}");
        Assert.Equal(LineColumn(text, s.Start), (s.StartLine, s.StartColumn));
        Assert.Equal(LineColumn(text, s.Start + s.Length), (s.EndLine, s.EndColumn));
    }

    [ThreadStatic] private static string? _mappedText;
    [ThreadStatic] private static (int Line, int Column)[]? _map;

    /// <summary>0-based line and column of an offset, worked out independently of SourceText: a line
    /// ends after \n, after \r\n, or after a lone \r. Cached per text (fuzz cases have many diagnostics).</summary>
    public static (int, int) LineColumn(string text, int offset)
    {
        if (!ReferenceEquals(text, _mappedText) || _map == null)
        {
            var map = new (int, int)[text.Length + 1];
            int line = 0, column = 0;
            for (int i = 0; i <= text.Length; i++)
            {
                map[i] = (line, column);
                if (i == text.Length) break;
                char c = text[i];
                bool crlf = c == '\r' && i + 1 < text.Length && text[i + 1] == '\n';
                if (c == '\n' || (c == '\r' && !crlf)) { line++; column = 0; }
                else column++;
            }
            _map = map;
            _mappedText = text;
        }
        return _map[offset];
    }
}
