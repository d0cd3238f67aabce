using System.Diagnostics;
using System.Text;
using CnnDsl.Dsl.Diagnostics;

namespace CnnDsl.Dsl.Tests;

/// <summary>
/// Property: for any text the compiler returns (never throws, never hangs, never needs CNN9001), and
/// every diagnostic span lies inside the file with line/column agreeing with its offset.
/// Fixed seeds, so a failure reproduces; the failing text is printed.
/// </summary>
public class FuzzTests
{
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(10);

    private static readonly string[] Vocabulary =
    {
        "network", "block", "input", "budget", "params", "macs", "repeat", "concat", "add", "residual", "shortcut", "in",
        "conv", "dwconv", "maxpool", "avgpool", "lppool", "adaptiveavgpool", "globalavgpool", "maxout", "relu", "softmax",
        "leakyrelu", "elu", "bn", "batchnorm", "dropout", "flatten", "dense", "fc", "identity",
        "s2", "p1", "p1x2", "stride=2", "pad=1", "same", "valid", "full", "reflect", "circular", "d2", "g2", "nobias", "ceil",
        "norm=3", "eps=1e-5", "momentum=0.1", "rate=", "x", "×", "3x3x64", "5×5×6", "1x28x28", "3x224x224", "7", "0", "-1",
        "0.5", "1e-3", "100k", "5M", "1G", "99999999999999999999", "{c}", "{c*2}", "{(c+1)/2}", "{c/0}", "{", "}", "[", "]",
        "(", ")", ",", "=", ":", ".", "->", "→", "#", "//", "\n", "\n", "\n", "\r\n", "\r", " ", "\t", "N", "b", "c", "a:",
        "\0", "\uD800", "\uDC00", "\uFEFF", "@", "$",
    };

    private static void Check(string text)
    {
        var task = Task.Run(() => CnnCompiler.Compile("fuzz.cnn", text));
        if (!task.Wait(PerCase))
            Assert.Fail($"compile did not finish in {PerCase.TotalSeconds} s for text of {text.Length} chars: {Show(text)}");
        var result = task.Result;
        var crash = result.Diagnostics.FirstOrDefault(d => d.Id == "CNN9001");
        Assert.True(crash == null, $"{crash?.Message}\nfor: {Show(text)}");
        foreach (var d in result.Diagnostics)
        {
            var s = d.Span;
            Assert.True(s.Start >= 0 && s.Length >= 0 && s.Start + s.Length <= text.Length,
                $"{d.Id} span {s.Start}+{s.Length} outside text of {text.Length}: {Show(text)}");
            var start = T.LineColumn(text, s.Start);
            var end = T.LineColumn(text, s.Start + s.Length);
            Assert.True(start == (s.StartLine, s.StartColumn) && end == (s.EndLine, s.EndColumn),
                $"{d.Id} span {s} disagrees with offsets {s.Start}+{s.Length} ({start}-{end}): {Show(text)}");
        }
        if (result.HasErrors)
            foreach (var n in result.Models()) Assert.NotEmpty(n.Layers);
    }

    private static string Show(string text)
    {
        string t = text.Length > 400 ? text.Substring(0, 400) + "…" : text;
        var sb = new StringBuilder("\"");
        foreach (char c in t) sb.Append(c < 32 || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        return sb.Append('"').ToString();
    }

    private static List<string> Corpus()
    {
        var dir = Path.GetDirectoryName(T.ExamplePath("x"))!;
        return Directory.GetFiles(dir, "*.cnn").OrderBy(f => f).Select(File.ReadAllText).ToList();
    }

    private static List<string> Tokens(string text)
    {
        // words, numbers and single symbols, keeping whitespace as separate pieces
        var pieces = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            if (char.IsLetterOrDigit(text[i]) || text[i] == '_') while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
            else i++;
            pieces.Add(text.Substring(start, i - start));
        }
        return pieces;
    }

    private static string Mutate(string text, Random rng)
    {
        int kind = rng.Next(9);
        if (kind <= 3)
        {
            var tokens = Tokens(text);
            if (tokens.Count == 0) return text;
            int edits = 1 + rng.Next(3);
            for (int e = 0; e < edits && tokens.Count > 1; e++)
            {
                int i = rng.Next(tokens.Count), j = rng.Next(tokens.Count);
                switch (kind)
                {
                    case 0: tokens.RemoveAt(i); break;
                    case 1: tokens.Insert(i, tokens[j]); break;
                    case 2: (tokens[i], tokens[j]) = (tokens[j], tokens[i]); break;
                    default: tokens.Insert(i, Vocabulary[rng.Next(Vocabulary.Length)]); break;
                }
            }
            return string.Concat(tokens);
        }
        if (kind <= 6)
        {
            var lines = text.Split('\n').ToList();
            int i = rng.Next(lines.Count), j = rng.Next(lines.Count);
            switch (kind)
            {
                case 4: lines.RemoveAt(i); break;
                case 5: lines.Insert(i, lines[j]); break;
                default: (lines[i], lines[j]) = (lines[j], lines[i]); break;
            }
            return string.Join("\n", lines);
        }
        var chars = text.ToCharArray().ToList();
        int count = 1 + rng.Next(4);
        for (int e = 0; e < count; e++)
        {
            int at = rng.Next(chars.Count + 1);
            char c = rng.Next(4) switch
            {
                0 => (char)rng.Next(0, 32),
                1 => (char)rng.Next(0xD800, 0xE000), // lone surrogates
                2 => (char)rng.Next(0, 0x10000),
                _ => "{}[]()x×→->:=,.#/0123456789"[rng.Next(27)],
            };
            if (kind == 7 && chars.Count > 0 && at < chars.Count) chars[at] = c; else chars.Insert(at, c);
        }
        return new string(chars.ToArray());
    }

    [Fact]
    public void Mutated_examples_never_break_the_compiler()
    {
        var corpus = Corpus();
        var rng = new Random(20261122);
        var watch = Stopwatch.StartNew();
        int cases = 0;
        for (; cases < 3000 && watch.Elapsed < TimeSpan.FromSeconds(8); cases++)
        {
            string text = corpus[rng.Next(corpus.Count)];
            int rounds = 1 + rng.Next(4);
            for (int r = 0; r < rounds; r++) text = Mutate(text, rng);
            Check(text);
        }
        Assert.True(cases >= 500, $"only {cases} cases ran");
    }

    [Fact]
    public void Random_token_soup_never_breaks_the_compiler()
    {
        var rng = new Random(7);
        var watch = Stopwatch.StartNew();
        int cases = 0;
        for (; cases < 3000 && watch.Elapsed < TimeSpan.FromSeconds(4); cases++)
        {
            var sb = new StringBuilder();
            if (rng.Next(2) == 0) sb.Append("network N\ninput 3x32x32\n");
            int n = rng.Next(1, 80);
            for (int i = 0; i < n; i++)
            {
                sb.Append(Vocabulary[rng.Next(Vocabulary.Length)]);
                if (rng.Next(3) > 0) sb.Append(' ');
            }
            Check(sb.ToString());
        }
        Assert.True(cases >= 500, $"only {cases} cases ran");
    }

    [Fact]
    public void Random_characters_never_break_the_compiler()
    {
        var rng = new Random(42);
        for (int cases = 0; cases < 500; cases++)
        {
            var chars = new char[rng.Next(0, 200)];
            for (int i = 0; i < chars.Length; i++) chars[i] = (char)rng.Next(0, 0x10000);
            Check(new string(chars));
        }
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "huge number", "network N\ninput 1x8x8\nconv 3x3x99999999999999999999\nconv 99999999999x3x3\ndense 1e308 -> dense 1e400\n" },
        { "huge input", "network N\ninput 65536x65536x65536x65536\nrelu\n" },
        { "huge conv", "network N\ninput 2147483647\ndense 2147483647\n" },
        { "10,000 nested braces", "network N\ninput 4\n" + new string('{', 10_000) + "\n" },
        { "10,000 nested repeats", "network N\ninput 4\n" + string.Concat(Enumerable.Repeat("repeat 2 { ", 10_000)) + "relu" + new string('}', 10_000) + "\n" },
        { "10,000 nested brackets", "network N\ninput 4\nconcat { " + new string('[', 10_000) + "relu" + new string(']', 10_000) + " }\n" },
        { "deep parentheses", "block b(c) {\n  dense {" + new string('(', 5_000) + "c" + new string(')', 5_000) + "}\n}\nnetwork N\ninput 4\nb(2)\n" },
        { "open parentheses", "block b(c) {\n  dense {(((((c}\n  dense {((((((((((((((((((((c))))))))))))))))))))}\n  dense {----------------------------------c}\n}\nnetwork N\ninput 4\nb(2)\n" },
        { "long expression", "block b(c) {\n  dense {" + string.Join("+", Enumerable.Repeat("c", 10_000)) + "}\n}\nnetwork N\ninput 4\nb(2)\n" },
        { "expression overflow", "block b(c) {\n  dense {c*c*c*c*c*c*c*c*c*c*c*c}\n  dense {0-2147483647-2147483647}\n}\nnetwork N\ninput 4\nb(99999)\n" },
        { "repeat explosion", "network N\ninput 4\nrepeat 100000 { repeat 100000 { relu } }\n" },
        { "repeat within limit explosion", "network N\ninput 4\nrepeat 10000 { repeat 10000 { relu } }\n" },
        { "block explosion", "block a {\n  relu -> relu -> relu -> relu -> relu -> relu -> relu -> relu -> relu -> relu\n}\n" +
            string.Concat(Enumerable.Range(0, 12).Select(i => $"block b{i} {{\n  repeat 10 {{ {(i == 0 ? "a" : "b" + (i - 1))} }}\n}}\n")) + "network N\ninput 4\nb11\n" },
        { "recursive block", "block a(c) {\n  a({c})\n}\nnetwork N\ninput 4\na(1)\n" },
        { "mutually recursive blocks", "block a {\n  b\n}\nblock b {\n  c -> relu\n}\nblock c {\n  concat { [a] [relu] }\n}\nnetwork N\ninput 4\na\n" },
        { "recursion in default", "block a(c = {c}) {\n  dense {c}\n}\nnetwork N\ninput 4\na\n" },
        { "NUL and surrogates", "network N\0\ninput 1x8x8\n\uD800conv 3x3x4\uDC00\nrelu \uDBFF\uDFFF\n\0\0" },
        { "CR only line ends", "network N\rinput 1x8x8\rconv 3x3x4 -> @\rrellu\r" },
        { "unterminated everything", "block b(c, \nnetwork N\ninput 1x8x8\nconcat { [ relu\nresidual {\nrepeat 3 {\nconv 3x3x{c\n" },
        { "long line", "network N\ninput 4\n" + string.Join(" -> ", Enumerable.Repeat("relu", 20_000)) + "\n" },
        { "long garbage line", "network N\ninput 4\n" + new string('x', 100_000) + " " + string.Concat(Enumerable.Repeat("3x", 50_000)) + "\n" },
        { "many networks", string.Concat(Enumerable.Range(0, 2_000).Select(i => $"network N{i % 1000}\ninput 4\ndense 2\n")) },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_inputs(string name, string text)
    {
        Assert.NotNull(name);
        Check(text);
    }

    [Theory]
    [InlineData("input 65536x1x1\nconv 1x1x65536")]                    // weights 2^32: int overflow
    [InlineData("input 65536x1x1\ndwconv 1x1x65536")]                  // 2^32 filters
    [InlineData("input 1x8x8\nconv 3x3x1 full d2147483647")]           // padding 2·(2^31−1)
    [InlineData("input 1x8x8\nconv 1x1x1 p2147483647")]                // output 2^32+6 per side
    [InlineData("input 1x8\nconv 1x1 p1073741823")]                    // output 2^31+6: wrapped negative
    [InlineData("input 3x8x8\nadaptiveavgpool 2147483647x2147483647")] // element count past long
    [InlineData("input 1x8x8x8\nconv 1x1x1x1 p1000000")]
    [InlineData("input 1x8x8\nconv 2147483647x2147483647x1 same d2147483647")]
    public void Huge_sizes_are_reported_not_wrapped(string body)
    {
        string text = "network N\n" + body + "\n";
        var result = CnnCompiler.Compile("t.cnn", text);
        var d = T.Single(result, "CNN2017");
        T.Span(d, 2, 0, 2, body.Length - body.IndexOf('\n') - 1);
        Assert.Empty(result.Models());
        Check(text);
    }

    [Fact]
    public void Pool_padding_cannot_overflow_past_the_half_window_check()
    {
        var d = T.Single(CnnCompiler.Compile("t.cnn", "network N\ninput 1x8x8\nmaxpool 2 p1500000000\n"), "CNN2019");
        Assert.Contains("padding 1500000000 must be at most half the window 2", d.Message);
    }

    [Fact]
    public void Recursive_blocks_are_reported_not_expanded()
    {
        var r = CnnCompiler.Compile("t.cnn", "block a {\n  b\n}\nblock b {\n  c -> relu\n}\nblock c {\n  concat { [a] [relu] }\n}\nnetwork N\ninput 4\na\n");
        var d = Assert.Single(r.Diagnostics, x => x.Id == "CNN2012");
        Assert.Contains("a → b → c → a", d.Message);
        Assert.Empty(r.Models());
    }

    [Fact]
    public void A_5000_line_file_checks_quickly_and_completely()
    {
        string text = LargeFile.Make(5_000);
        Assert.Equal(5_000, text.Count(c => c == '\n'));
        var watch = Stopwatch.StartNew();
        var result = CnnCompiler.Compile("big.cnn", text);
        watch.Stop();
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity != CnnSeverity.Info);
        Assert.Equal(LargeFile.Networks(5_000), result.Models().Count);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Check(text.Replace("relu", "rellu"));
    }
}

/// <summary>A generated file of many small networks and blocks (also used by benchmarks/ParseTime).</summary>
internal static class LargeFile
{
    private const int LinesPerNetwork = 10;
    private const int BlockLines = 4;

    public static int Networks(int lines) => (lines - BlockLines) / LinesPerNetwork;

    public static string Make(int lines)
    {
        var sb = new StringBuilder();
        sb.Append("block unit(c, s = 1) {\n  conv 3x3x{c} s{s} p1 nobias -> bn -> relu\n  conv 3x3x{c} p1 -> relu  # second\n}\n");
        int networks = Networks(lines);
        for (int i = 0; i < networks; i++)
        {
            sb.Append("network Net").Append(i).Append(" in Big.Models\n");
            sb.Append("input 3x32x32\n");
            sb.Append("budget params 10M\n");
            sb.Append("conv 3x3x16 p1 -> bn -> relu\n");
            sb.Append("unit(16)\n");
            sb.Append("unit(32, 2) -> maxpool 2\n");
            sb.Append("residual {\n  conv 3x3x32 p1 -> relu\n}\n");
            sb.Append("globalavgpool -> dense 10\n");
        }
        int missing = lines - BlockLines - networks * LinesPerNetwork;
        for (int i = 0; i < missing; i++) sb.Append("// padding line\n");
        return sb.ToString();
    }
}
