using CnnDsl.Dsl.Diagnostics;

namespace CnnDsl.Dsl.Tests;

/// <summary>One minimal file per catalogue entry: id, severity, exact span (0-based, as stored) and message content.</summary>
public class DiagnosticTests
{
    private const string H = "network N\ninput 1x8x8\n";

    public sealed record Case(string Id, string Text, (int, int, int, int) Span, string[] Message, bool NetworkSurvives = false)
    {
        public override string ToString() => Id;
    }

    private static readonly Case[] Cases =
    {
        new("CNN1001", H + "conv 3x3x8 , s2\n", (2, 11, 2, 12), new[] { "expected `->` or a new line after `conv 3x3x8`", "','" }),
        new("CNN1002", H + "rellu\n", (2, 0, 2, 5), new[] { "unknown layer `rellu`", "did you mean `relu`?" }),
        new("CNN1003", H + "conv 3x3x8 strid=2\n", (2, 11, 2, 16), new[] { "unknown option `strid`", "did you mean `stride`?" }),
        new("CNN1004", H + "conv 3x3x99999999999999999999\n", (2, 9, 2, 29), new[] { "99999999999999999999", "too large" }),
        new("CNN1005", H + "relu\n@ relu\n", (3, 0, 3, 1), new[] { "'@'" }),
        new("CNN1006", H + "repeat 2 {\n  relu\n", (2, 9, 2, 10), new[] { "`{` of `repeat` is never closed" }),
        new("CNN1007", H + string.Concat(Enumerable.Repeat("repeat 1 {\n", 33)) + "relu\n" + string.Concat(Enumerable.Repeat("}\n", 33)),
            (34, 9, 34, 10), new[] { "deeper than 32" }),
        new("CNN1008", H + "conv 3x3x8 s1 stride=2\n", (2, 14, 2, 22), new[] { "`stride` conflicts with `s`" }),
        new("CNN1009", H + "relu 3\n", (2, 5, 2, 6), new[] { "`relu` takes no argument" }),
        new("CNN1010", "block b(c) {\n  conv 3x3x{c/0}\n}\n" + H + "b(4)\n", (1, 12, 1, 15), new[] { "division by zero" }),
        new("CNN2001", "network LeNet\ninput 1x28x28\nconv 5x5x6 p2 -> relu -> maxpool 2\nconv 5x5x16 -> relu -> maxpool 2\nconv 7x7x16\n",
            (4, 0, 4, 11), new[] { "conv 7x7x16 needs at least 7x7 input but gets 5x5", "16x5x5 after `maxpool 2` on line 4" }),
        new("CNN2002", "network N\ninput 1x100\nconv 3x3x8\n", (2, 5, 2, 10), new[] { "2-D convolution", "1x100 is 1-D", "`conv 3x8`" }),
        new("CNN2003", "network N\ninput 4x8x8\nconv 3x3x8 g3\n", (2, 0, 2, 13), new[] { "groups 3 does not divide the 4 input channels" }),
        new("CNN2004", "network N\ninput 1x28x28\ndense 10\n", (2, 0, 2, 8), new[] { "needs a flat input but gets 1x28x28", "add `flatten`" }),
        new("CNN2005", H + "concat {\n  [conv 3x3x4]\n  [conv 1x1x4]\n}\n", (2, 0, 2, 6), new[] { "branch 1 ends in 4x6x6", "branch 2 ends in 4x8x8" }),
        new("CNN2006", "network N\nrelu\n", (0, 8, 0, 9), new[] { "no `input` line", "input 1x28x28" }),
        new("CNN2007", H + "a: relu\na: relu\n", (3, 0, 3, 1), new[] { "layer name `a` is already used on line 3" }),
        new("CNN2008", H + "relu\nnetwork N\ninput 4\nrelu\n", (3, 8, 3, 9), new[] { "network `N` is already defined on line 1" }, NetworkSurvives: true),
        new("CNN2009", "block basic(c) {\n  conv 3x3x{c} p1\n}\n" + H + "basik(64)\n", (5, 0, 5, 5), new[] { "unknown block `basik`", "did you mean `basic`?" }),
        new("CNN2010", "network R\ninput 64x32x32\nresidual {\n  conv 3x3x128 s2 p1\n}\n", (2, 0, 2, 8),
            new[] { "residual body ends in 128x16x16 but its input is 64x32x32", "add `shortcut { conv 1x1x128 s2 }`" }),
        new("CNN2011", "block b(c, s = 1) {\n  conv 3x3x{c} s{s} p1\n}\n" + H + "b(1, 2, 3)\n", (5, 0, 5, 10), new[] { "takes 1 to 2 arguments but gets 3" }),
        new("CNN2012", "block a {\n  b\n}\nblock b {\n  a\n}\n" + H + "a\n", (4, 2, 4, 3), new[] { "a → b → a", "recursive" }),
        new("CNN2013", "network N\ninput 1x28x28\nbudget params 100 macs 5M\nflatten\ndense 10\n", (2, 7, 2, 17),
            new[] { "7,850 parameters", "budget of 100", "by 7,750" }),
        new("CNN2014", "network N\ninput 1x28x28\nbudget params 100k macs 5k\nflatten\ndense 10\n", (2, 19, 2, 26),
            new[] { "7,840 multiply-adds", "budget of 5k (5,000)", "by 2,840" }),
        new("CNN2015", "network N\ninput 1x2x3x4x5\nrelu\n", (1, 6, 1, 15), new[] { "5 dimensions" }),
        new("CNN2016", "network N\ninput 10\nmaxpool 2\n", (2, 0, 2, 9), new[] { "needs a spatial input", "flat 10" }),
        new("CNN2017", "network N\ninput 100000x100000\nrelu\n", (1, 6, 1, 19), new[] { "10,000,000,000 elements" }),
        new("CNN2018", H + "conv 1x1x4 -> maxout 3\n", (2, 14, 2, 22), new[] { "multiple of 3", "has 4" }),
        new("CNN2019", H + "maxpool 2 p2\n", (2, 0, 2, 12), new[] { "padding 2 must be at most half the window 2" }),
        new("CNN2020", H + "relu\ninput 1x8x8\n", (3, 0, 3, 11), new[] { "`input` is given twice (first on line 2)" }),
        new("CNN2021", H + "\n", (0, 8, 0, 9), new[] { "network `N` has no layers" }),
        new("CNN2022", "block b(c) {\n  conv 3x3x{cc}\n}\n" + H + "b(4)\n", (1, 12, 1, 14), new[] { "unknown name `cc`", "did you mean `c`?" }),
        new("CNN3001", H + "conv 3x3x8 s2\n", (2, 0, 2, 13), new[] { "1 row and 1 column" }, NetworkSurvives: true),
        new("CNN3002", "network N\ninput 10\nsoftmax -> relu\n", (2, 11, 2, 15), new[] { "`relu` right after `softmax`" }, NetworkSurvives: true),
        new("CNN3003", "network N\ninput 10\nsoftmax -> dense 4\n", (2, 0, 2, 7), new[] { "`softmax` is followed by `dense 4`" }, NetworkSurvives: true),
        new("CNN3004", "network N\ninput 3x200x200\nflatten\ndense 1000\n", (3, 0, 3, 10), new[] { "120,001,000", "1000·(120000+1)" }, NetworkSurvives: true),
        new("CNN4001", "network LeNet5\ninput 1x28x28\nconv 5x5x6 p2 -> relu\n", (2, 0, 2, 13),
            new[] { "conv1  conv 5x5x6 p2  -> 6x28x28  params 156 = 6·(5·5·1+1)  MACs 117,600" }, NetworkSurvives: true),
        new("CNN4002", "network LeNet5\ninput 1x28x28\nconv 5x5x6 p2 -> relu\n", (0, 8, 0, 14), new[] { "LeNet5  156 parameters (624 B)  0.12 M MACs/example" }, NetworkSurvives: true),
        new("CNN4003", "network N\ninput 2x8x8\nconv 3x3x4 p1 -> leakyrelu 0.2\n", (2, 17, 2, 30), new[] { "leakyrelu1 is not fused into conv1", "epilogue computes relu only" }, NetworkSurvives: true),
    };

    public static TheoryData<Case> All => new(Cases);

    [Fact]
    public void Every_catalogue_entry_has_a_case()
    {
        var expected = DiagnosticDescriptors.All.Select(d => d.Id).Where(id => id != "CNN9001").OrderBy(id => id);
        Assert.Equal(expected, Cases.Select(c => c.Id).OrderBy(id => id));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Diagnostic_has_id_severity_span_and_message(Case c)
    {
        var result = T.Compile(c.Text);
        var descriptor = DiagnosticDescriptors.All.Single(d => d.Id == c.Id);
        var d = c.Id is "CNN4001" ? result.Diagnostics.First(x => x.Id == c.Id) : T.Single(result, c.Id);
        Assert.Equal(descriptor.Severity, d.Severity);
        Assert.Equal(c.Id[3] switch { '1' or '2' => CnnSeverity.Error, '3' => CnnSeverity.Warning, _ => CnnSeverity.Info }, d.Severity);
        var (l1, c1, l2, c2) = c.Span;
        T.Span(d, l1, c1, l2, c2);
        T.SpanConsistent(c.Text, d);
        foreach (var fragment in c.Message) Assert.Contains(fragment, d.Message);
        Assert.DoesNotContain(result.Diagnostics, x => x.Id == "CNN9001");
        if (c.NetworkSurvives) Assert.Single(result.Models());
        else Assert.DoesNotContain(result.Models(), n => n.Name == "N" || n.Name == "R" || n.Name == "LeNet");
    }

    [Fact]
    public void Format_prints_one_based_position()
    {
        var d = T.Single(T.Compile(H + "rellu\n"), "CNN1002");
        Assert.StartsWith("models/x.cnn(3,1): error CNN1002: unknown layer", d.Format("models/x.cnn"));
        var w = T.Single(T.Compile(H + "conv 3x3x8 s2\n"), "CNN3001");
        Assert.StartsWith("m.cnn(3,1): warning CNN3001:", w.Format("m.cnn"));
    }

    [Fact]
    public void LeNet_summary_lines_read_like_the_spec()
    {
        var result = T.CompileExample("lenet5.cnn");
        var layers = result.Diagnostics.Where(d => d.Id == "CNN4001").ToList();
        Assert.Equal(12, layers.Count);
        Assert.Equal("conv1  conv 5x5x6 p2  -> 6x28x28  params 156 = 6·(5·5·1+1)  MACs 117,600  kernel direct + relu + maxpool", layers[0].Message);
        T.Span(layers[0], 3, 0, 3, 13);
        Assert.Equal("conv2  conv 5x5x16  -> 16x10x10  params 2,416 = 16·(5·5·6+1)  MACs 240,000  kernel shifted-gemm + relu + maxpool", layers[3].Message);
        Assert.Equal("dense1  dense 120  -> 120  params 48,120 = 120·(400+1)  MACs 48,000  kernel gemm + relu", layers[7].Message);
        Assert.Equal("relu1  relu  -> 6x28x28  params 0  MACs 0  kernel fused into conv1", layers[1].Message);
        T.Span(layers[1], 3, 17, 3, 21);
        var network = T.Single(result, "CNN4002");
        Assert.StartsWith("LeNet5  61,706 parameters (241.0 KiB)  0.42 M MACs/example", network.Message);
        Assert.EndsWith("activations 7.7 KiB (inference), 11.6 KiB (training) per example", network.Message);
        T.Span(network, 1, 8, 1, 14);
        Assert.Equal("lenet5.cnn(2,9): info CNN4002: " + network.Message, network.Format("lenet5.cnn"));
    }

    [Fact]
    public void Argument_and_its_long_option_together_conflict()
    {
        var d = T.Single(T.Compile("network N\ninput 4\nleakyrelu 0.1 slope=0.2\n"), "CNN1008");
        T.Span(d, 2, 14, 2, 23);
        Assert.Contains("`leakyrelu 0.1 slope=0.2`", d.Message);
        Assert.Contains(T.Compile("network N\ninput 4\ndropout 0.1 rate=0.3\n").Diagnostics, x => x.Id == "CNN1008");
        Assert.Contains(T.Compile("network N\ninput 4\nelu 1 alpha=2\n").Diagnostics, x => x.Id == "CNN1008");
    }

    [Fact]
    public void Messages_quote_long_options_as_written()
    {
        var d = T.Single(T.Compile("network N\ninput 4x8x8\nconv 3x3x8 groups=3 stride=2\n"), "CNN2003");
        Assert.Contains("`conv 3x3x8 groups=3 stride=2`", d.Message);
        var s = T.Single(T.Compile("network N\ninput 4x8x8\nconv 3x3x8 g3 s2\n"), "CNN2003");
        Assert.Contains("`conv 3x3x8 g3 s2`", s.Message);
    }

    [Fact]
    public void Output_too_small_with_padding_states_the_unpadded_need()
    {
        // conv 7x7 p1 needs 7 after padding, i.e. 7 − 2·1 = 5 before it
        var d = T.Single(T.Compile("network N\ninput 1x4x4\nconv 7x7x1 p1\n"), "CNN2001");
        Assert.Contains("needs at least 5x5 input (before its padding) but gets 4x4", d.Message);
        var pool = T.Single(T.Compile("network N\ninput 1x2x2\nmaxpool 3\n"), "CNN2001");
        Assert.Contains("maxpool 3 needs at least 3x3 input but gets 2x2", pool.Message);
        var dilated = T.Single(T.Compile("network N\ninput 1x8x8\nconv 3x3x1 d4\n"), "CNN2001");
        Assert.Contains("needs at least 9x9 input but gets 8x8", dilated.Message);
    }

    [Fact]
    public void Stride_warning_only_when_real_pixels_are_dropped()
    {
        // 3x3 s2 p1 on 8: padded 10, out floor(7/2)+1 = 4, windows end at 6+2 = 8 = last real pixel (1+7) → fine
        Assert.DoesNotContain(T.Compile(H + "conv 3x3x8 s2 p1\n").Diagnostics, d => d.Id == "CNN3001");
        // 3x3 s2 on 8: out 3, last window reads 4..6, pixel 7 dropped
        var w = T.Single(T.Compile(H + "conv 3x3x8 s2\n"), "CNN3001");
        Assert.Contains("last 1 row and 1 column", w.Message);
        // padding that is dropped does not count: 3x3 s2 p1 on 7: padded 9, out 4, reads up to 8 (padding) → fine
        Assert.DoesNotContain(T.Compile("network N\ninput 1x7x7\nconv 3x3x8 s2 p1\n").Diagnostics, d => d.Id == "CNN3001");
        // maxpool 2 on 5x5 drops the 5th row and column; on 1-D it is an element
        Assert.Contains("1 row and 1 column", T.Single(T.Compile("network N\ninput 1x5x5\nmaxpool 2\n"), "CNN3001").Message);
        Assert.Contains("1 element", T.Single(T.Compile("network N\ninput 1x5\nmaxpool 2\n"), "CNN3001").Message);
        // only one dimension: 5x4 input
        var rows = T.Single(T.Compile("network N\ninput 1x5x4\nmaxpool 2\n"), "CNN3001");
        Assert.Contains("last 1 row of", rows.Message);
        // ceil mode reads the partial window; a 1x1 s2 projection skips rows by design, not at the edge
        Assert.DoesNotContain(T.Compile("network N\ninput 1x5x5\nmaxpool 2 ceil\n").Diagnostics, d => d.Id == "CNN3001");
        Assert.DoesNotContain(T.Compile("network N\ninput 4x56x56\nconv 1x1x8 s2\n").Diagnostics, d => d.Id == "CNN3001");
        // `same` with stride 2 on an odd size reaches the edge
        Assert.DoesNotContain(T.Compile("network N\ninput 1x7x7\nconv 3x3x8 s2 same\n").Diagnostics, d => d.Id == "CNN3001");
        // 5x5 s3 on 10: out 2, windows 0..4 and 3..7, rows 8 and 9 dropped
        Assert.Contains("2 rows and 2 columns", T.Single(T.Compile("network N\ninput 1x10x10\nconv 5x5x1 s3\n"), "CNN3001").Message);
    }

    [Fact]
    public void Softmax_warnings()
    {
        Assert.Empty(T.Compile("network N\ninput 10\ndense 4 -> softmax\n").Problems());
        var r = T.Compile("network N\ninput 10\nsoftmax -> sigmoid -> dense 2\n");
        Assert.Single(r.Diagnostics, d => d.Id == "CNN3002");
        Assert.DoesNotContain(r.Diagnostics, d => d.Id == "CNN3003");
        Assert.Single(r.Models());
    }

    [Fact]
    public void Several_broken_lines_are_all_reported_and_valid_networks_survive()
    {
        const string text =
            "network Good1\ninput 1x8x8\nconv 3x3x4 -> relu\n" +     // lines 0-2
            "network Bad\ninput 1x8x8\nconv 3x3x4 ,\nrellu\nconv 3x3x{\nmaxpool 2 q\nrelu\n" + // lines 3-9
            "network Good2\ninput 10\ndense 2\n";                     // lines 10-12
        var result = T.Compile(text);
        Assert.Equal(new[] { "Good1", "Good2" }, result.Models().Select(n => n.Name));
        var errors = result.Diagnostics.Where(d => d.IsError).ToList();
        Assert.Contains(errors, d => d.Id == "CNN1001" && d.Span.StartLine == 5);
        Assert.Contains(errors, d => d.Id == "CNN1002" && d.Span.StartLine == 6);
        Assert.Contains(errors, d => d.Id == "CNN1006" && d.Span.StartLine == 7);
        Assert.Contains(errors, d => d.Id == "CNN1003" && d.Span.StartLine == 8);
        Assert.All(errors, d => Assert.InRange(d.Span.StartLine, 3, 9));
        foreach (var d in result.Diagnostics) T.SpanConsistent(text, d);
    }

    [Fact]
    public void A_network_with_a_syntax_error_generates_no_model()
    {
        // the parser drops the broken line; without it the rest would still check
        var result = T.Compile(H + "conv 3x3x8 , s2\nrelu\n");
        Assert.True(result.HasErrors);
        Assert.Empty(result.Models());
        var viaBlock = T.Compile("block b {\n  relu\n  @\n}\nnetwork A\ninput 4\nb\nnetwork B\ninput 4\nrelu\n");
        Assert.Equal(new[] { "B" }, viaBlock.Models().Select(n => n.Name));
    }

    [Fact]
    public void A_broken_block_header_is_one_error_and_spares_its_neighbours()
    {
        const string text = "network A\ninput 4\nrelu\nblock b(c, {\n  relu\n  tanh\n}\nnetwork B\ninput 4\nrelu\n";
        var result = T.Compile(text);
        var error = Assert.Single(result.Diagnostics, d => d.IsError);
        Assert.Equal("CNN1001", error.Id);
        T.Span(error, 3, 11, 3, 12);
        Assert.Equal(new[] { "A", "B" }, result.Models().Select(n => n.Name));
    }

    [Fact]
    public void Bad_expression_syntax_is_reported_without_crashing()
    {
        var result = T.Compile("block b(c) {\n  conv 3x3x{c +}\n}\n" + H + "b(4)\n");
        var d = T.Single(result, "CNN1010");
        T.Span(d, 1, 11, 1, 16);
        Assert.Contains("cannot read `{c +}`", d.Message);
        Assert.DoesNotContain(result.Diagnostics, x => x.Id == "CNN9001");
        Assert.Empty(result.Models());
    }

    [Fact]
    public void Compiler_never_throws_and_CNN9001_is_never_needed_for_odd_input()
    {
        foreach (var text in new[] { null!, "", "\0", "network", "network N", "network N\ninput", "block", "block b(", "block b(c=", "}", "]", "->", "→→", "\uD800", "network N\ninput 1x8x8\n{", "block e {\n}\nnetwork N\ninput 4\ne\n" })
        {
            var result = CnnCompiler.Compile(null!, text);
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "CNN9001");
            foreach (var d in result.Diagnostics) T.SpanConsistent(text ?? "", d);
        }
    }
}
