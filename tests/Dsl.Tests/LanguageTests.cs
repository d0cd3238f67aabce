using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Syntax;

namespace CnnDsl.Dsl.Tests;

/// <summary>Every construct of spec §1–§5, each checked through the compiler's output.</summary>
public class LanguageTests
{
    private static int[] Shape(TensorShape s) => s.Dimensions.ToArray();

    private static string Pads(LayerModel l) => string.Join(",", l.Conv().PadBefore) + "/" + string.Join(",", l.Conv().PadAfter);

    private static string[] Names(NetworkModel n) => n.Layers.Select(l => l.Name).ToArray();

    // ---- lexical ----------------------------------------------------------------------

    [Fact]
    public void Arrow_unicode_arrow_and_newline_chain_the_same_way()
    {
        var a = T.Net("1x8x8", "conv 3x3x4 -> relu -> maxpool 2");
        var b = T.Net("1x8x8", "conv 3x3x4 → relu → maxpool 2");
        var c = T.Net("1x8x8", "conv 3x3x4\nrelu\nmaxpool 2");
        var d = T.Net("1x8x8", "conv 3x3x4 ->\n  relu ->\n\n  maxpool 2"); // a line ending with `->` continues
        Assert.Equal(a.Layers, b.Layers);
        Assert.Equal(a.Layers, c.Layers);
        Assert.Equal(a.Layers, d.Layers);
        Assert.Equal(new[] { 4, 3, 3 }, Shape(a.OutputShape));
        Assert.Equal(new[] { -1 }, a.Layers[0].Inputs.ToArray());
        Assert.Equal(new[] { 0 }, a.Layers[1].Inputs.ToArray());
    }

    [Fact]
    public void Times_sign_in_dimensions()
    {
        var n = T.Network("network N\ninput 3×32×32\nconv 5×5×6 p1×2\n");
        Assert.Equal(new[] { 6, 30, 32 }, Shape(n.OutputShape));
        Assert.Equal(new[] { 5, 5 }, n.Layers[0].Conv().Kernel.ToArray());
    }

    [Fact]
    public void Comments_hash_and_slashes()
    {
        var n = T.Network("# header comment\nnetwork N // trailing\ninput 4 # four features\n// a whole line\ndense 2 // two\n");
        Assert.Single(n.Layers);
        Assert.Equal(10, n.ParameterCount);
    }

    [Fact]
    public void Keywords_ignore_case_names_keep_it()
    {
        var result = T.Compile("NETWORK MyNet IN My.Models\nInput 1x8x8\nMyConv: CONV 3x3x4 P1 -> ReLU -> BN\nFLATTEN -> Dense 2\n");
        Assert.False(result.HasErrors, string.Join("\n", result.Problems()));
        var n = Assert.Single(result.Models());
        Assert.Equal("MyNet", n.Name);
        Assert.Equal("My.Models", n.Namespace);
        Assert.Equal(new[] { "MyConv", "relu1", "batchnorm1", "flatten1", "dense1" }, Names(n));
        Assert.Equal("MyConv", n.Layers[0].PropertyName);
        Assert.Equal(new[] { 1, 1 }, n.Layers[0].Conv().PadBefore.ToArray());
    }

    [Fact]
    public void Network_namespace_is_optional()
    {
        Assert.Null(T.Net("4", "relu").Namespace);
        Assert.Equal("A.B.C", T.Network("network N in A.B.C\ninput 4\nrelu\n").Namespace);
    }

    [Fact]
    public void Numbers_decimal_and_exponent()
    {
        var n = T.Net("4", "leakyrelu 0.2 -> elu 1e-1 -> dropout .25 -> bn eps=1e-3 momentum=0.01");
        Assert.Equal(0.2, n.Layers[0].Act().Alpha);
        Assert.Equal(0.1, n.Layers[1].Act().Alpha, 12);
        Assert.Equal(0.25, n.Layers[2].Drop().Rate);
        Assert.Equal(1e-3, n.Layers[3].Bn().Epsilon);
        Assert.Equal(0.01, n.Layers[3].Bn().Momentum);
        Assert.Equal("batchnorm eps=0.001 momentum=0.01", n.Layers[3].Definition);
    }

    // ---- labels and naming -------------------------------------------------------------

    [Fact]
    public void Auto_names_by_kind_and_ordinal()
    {
        var n = T.Net("1x8x8", "conv 3x3x4 -> bn -> relu\nconv 3x3x4 -> batchnorm -> relu\nflatten\nfc 10 -> linear 5 -> dense 2");
        Assert.Equal(new[] { "conv1", "batchnorm1", "relu1", "conv2", "batchnorm2", "relu2", "flatten1", "dense1", "dense2", "dense3" }, Names(n));
        Assert.Equal(new[] { "Conv1", "Batchnorm1" }, n.Layers.Take(2).Select(l => l.PropertyName));
        Assert.Equal(new[] { "conv1.weight", "conv1.bias" }, n.Layers[0].Parameters.Select(p => p.Name));
        Assert.Equal(new[] { "batchnorm1.running_mean", "batchnorm1.running_var", "batchnorm1.num_batches_tracked" }, n.Layers[1].State.Select(s => s.Name));
    }

    [Fact]
    public void Labels_name_layers_and_auto_names_skip_them()
    {
        var n = T.Net("1x8x8", "conv2: conv 3x3x4 p1\nconv 3x3x4 p1\nconv 3x3x4 p1\nfeatures: flatten");
        Assert.Equal(new[] { "conv2", "conv1", "conv3", "features" }, Names(n));
        Assert.Equal(new[] { "Conv2", "Conv1", "Conv3", "Features" }, n.Layers.Select(l => l.PropertyName));
    }

    [Fact]
    public void Reserved_property_names_get_a_suffix()
    {
        var n = T.Network("network Summary\ninput 4\nsummary: relu\nSummary: relu\n");
        Assert.Equal(new[] { "SummaryLayer", "SummaryLayer_2" }, n.Layers.Select(l => l.PropertyName));
    }

    [Fact]
    public void Duplicate_label_is_an_error_even_in_different_branches()
    {
        var r = T.Compile("network N\ninput 4x8x8\nconcat {\n  [a: relu]\n  [a: tanh]\n}\n");
        var d = T.Single(r, "CNN2007");
        T.Span(d, 4, 3, 4, 4);
        Assert.Empty(r.Models());
    }

    // ---- blocks -------------------------------------------------------------------------

    [Fact]
    public void Block_defaults_and_expression_arithmetic()
    {
        const string text = "block b(c, s = 1, k = {s + 2}) {\n  conv {k}x{k}x{c*2} s{s} p{(k-1)/2} -> dense_free: relu\n  conv 1x1x{c * (s + 1) - 1 / 2}\n}\n" +
                            "network N\ninput 3x16x16\nb(8)\nb(4, 2)\n";
        var n = T.Network(text);
        // b(8): k = 3, conv 3x3x16 s1 p1 → 16x16x16; conv 1x1x{8·2 − 0} = 16
        Assert.Equal(new[] { 16, 16, 16 }, Shape(n.Layers[0].OutputShape));
        Assert.Equal(new[] { 3, 3 }, n.Layers[0].Conv().Kernel.ToArray());
        Assert.Equal(new[] { 1, 1 }, n.Layers[0].Conv().PadBefore.ToArray());
        Assert.Equal(16, n.Layers[2].Conv().Filters);
        // b(4, 2): k = 4, conv 4x4x8 s2 p{3/2 = 1}: floor((16+2−4)/2)+1 = 8; conv 1x1x{4·3 − 0} = 12
        Assert.Equal(new[] { 4, 4 }, n.Layers[3].Conv().Kernel.ToArray());
        Assert.Equal(new[] { 8, 8, 8 }, Shape(n.Layers[3].OutputShape));
        Assert.Equal(new[] { 12, 8, 8 }, Shape(n.OutputShape));
        Assert.Equal(new[] { "b1.conv1", "b1.dense_free", "b1.conv2", "b2.conv1", "b2.dense_free", "b2.conv2" }, Names(n));
    }

    [Fact]
    public void Division_truncates_and_parentheses_group()
    {
        var n = T.Network("block b(c) {\n  dense {(c + 1) / 2 * 3}\n  dense {c - -2}\n  dense {-(1 - c)}\n}\nnetwork N\ninput 4\nb(6)\n");
        Assert.Equal(new[] { 9, 8, 5 }, n.Layers.Select(l => l.Dense().Units));
    }

    [Fact]
    public void Labelled_block_call_prefixes_its_layers()
    {
        const string text = "block down(c, s = 2) {\n  conv 3x3x{c} s{s} p1 -> relu\n  out: conv 3x3x{c} p1\n}\n" +
                            "network N\ninput 64x32x32\nstage2: down(128)\nstage3: down(256)\ndown(8, 1)\n";
        var n = T.Network(text);
        Assert.Equal(new[] { "stage2.conv1", "stage2.relu1", "stage2.out", "stage3.conv1", "stage3.relu1", "stage3.out", "down3.conv1", "down3.relu1", "down3.out" }, Names(n));
        Assert.Equal("Stage2Conv1", n.Layers[0].PropertyName);
        Assert.Equal(new[] { 8, 8, 8 }, Shape(n.OutputShape));
    }

    [Fact]
    public void Block_without_parameters_is_called_by_name()
    {
        var n = T.Network("block act {\n  bn -> relu\n}\nnetwork N\ninput 4x8x8\nact\nact()\n");
        Assert.Equal(new[] { "act1.batchnorm1", "act1.relu1", "act2.batchnorm1", "act2.relu1" }, Names(n));
    }

    [Fact]
    public void Labelled_call_of_a_block_without_parameters()
    {
        var n = T.Network("block act {\n  bn -> relu\n}\nnetwork N\ninput 4x8x8\nhead: act\ntail: act()\n");
        Assert.Equal(new[] { "head.batchnorm1", "head.relu1", "tail.batchnorm1", "tail.relu1" }, Names(n));
    }

    [Fact]
    public void Blocks_may_use_blocks_and_be_declared_after_use()
    {
        var n = T.Network("network N\ninput 4x8x8\nouter(8)\nblock outer(c) {\n  inner({c/2})\n}\nblock inner(c) {\n  conv 1x1x{c}\n}\n");
        Assert.Equal(new[] { "outer1.inner1.conv1" }, Names(n));
        Assert.Equal(4, n.Layers[0].Conv().Filters);
    }

    [Fact]
    public void Block_argument_errors()
    {
        var r = T.Compile("block b(c) {\n  conv 1x1x{c}\n}\nnetwork N\ninput 4x8x8\nb(0)\n");
        Assert.Contains(r.Diagnostics, d => d.Id == "CNN1004");
        var dup = T.Single(T.Compile("block b(c, c) {\n  relu\n}\nnetwork N\ninput 4\nrelu\n"), "CNN2008");
        T.Span(dup, 0, 11, 0, 12);
        var layerName = T.Single(T.Compile("block relu {\n  tanh\n}\nnetwork N\ninput 4\ntanh\n"), "CNN2008");
        Assert.Contains("name of a layer", layerName.Message);
        var self = T.Single(T.Compile("block a(c) {\n  a({c})\n}\nnetwork N\ninput 4\na(1)\n"), "CNN2012");
        T.Span(self, 1, 2, 1, 3);
        var asLayer = T.Single(T.Compile("network N\ninput 4\nrelu(2)\n"), "CNN1009");
        Assert.Contains("is a layer, not a block", asLayer.Message);
    }

    [Fact]
    public void Expressions_in_repeat_counts_and_block_arguments()
    {
        var n = T.Network("block stack(n, c) {\n  repeat {n} { conv 1x1x{c} }\n}\nblock twice(c) {\n  stack(2, {c*2})\n}\nnetwork N\ninput 4x8x8\ntwice(3)\n");
        Assert.Equal(2, n.Layers.Count);
        Assert.Equal(new[] { 6, 6 }, n.Layers.Select(l => l.Conv().Filters));
        Assert.Equal(new[] { "twice1.stack1.conv1", "twice1.stack1.conv2" }, Names(n));
    }

    [Fact]
    public void Crlf_and_bom_give_the_same_result_and_spans_by_line()
    {
        string lf = File.ReadAllText(T.ExamplePath("lenet5.cnn")).Replace("\r\n", "\n") + "rellu\n";
        string crlf = "\uFEFF" + lf.Replace("\n", "\r\n");
        var a = T.Compile(lf);
        var b = T.Compile(crlf);
        Assert.Equal(a.Diagnostics.Select(d => (d.Id, d.Span.StartLine, d.Span.StartColumn, d.Message)),
            b.Diagnostics.Select(d => (d.Id, d.Span.StartLine, d.Span.StartColumn + (d.Span.StartLine == 0 ? -1 : 0), d.Message)));
        foreach (var d in b.Diagnostics) T.SpanConsistent(crlf, d);
        Assert.Equal(9, T.Single(b, "CNN1002").Span.StartLine);
    }

    // ---- repeat, merges ------------------------------------------------------------------

    [Fact]
    public void Repeat_unrolls_and_suffixes_labels()
    {
        var n = T.Net("4x8x8", "repeat 3 {\n  conv 3x3x4 p1 -> relu\n}\nrepeat 2 { x: relu }");
        Assert.Equal(new[] { "conv1", "relu1", "conv2", "relu2", "conv3", "relu3", "x_1", "x_2" }, Names(n));
        Assert.Equal(3 * 4 * (9 * 4 + 1), n.ParameterCount);
        var nested = T.Net("4", "repeat 2 { repeat 3 { relu } }");
        Assert.Equal(6, nested.Layers.Count);
    }

    [Fact]
    public void Repeat_count_limits()
    {
        Assert.Contains(T.Compile("network N\ninput 4\nrepeat 0 { relu }\n").Diagnostics, d => d.Id == "CNN1004");
        var tooMany = T.Single(T.Compile("network N\ninput 4\nrepeat 10001 { relu }\n"), "CNN1004");
        Assert.Contains("between 1 and 10000", tooMany.Message);
        T.Span(tooMany, 2, 7, 2, 12);
        var big = T.Compile("network N\ninput 4\nrepeat 100000 { repeat 100000 { relu } }\n");
        Assert.True(big.HasErrors);
        Assert.Empty(big.Models());
    }

    [Fact]
    public void Concat_with_multi_line_branches()
    {
        var n = T.Net("192x28x28", "concat {\n  [conv 1x1x64 -> relu]\n  [conv 1x1x96 -> relu ->\n   conv 3x3x128 p1 -> relu]\n  [\n    maxpool 3 s1 p1\n    conv 1x1x32\n  ]\n}");
        var concat = T.Last(n);
        Assert.Equal(MergeOperation.Concat, concat.Merge().Operation);
        Assert.Equal(new[] { 224, 28, 28 }, Shape(concat.OutputShape));
        Assert.Equal(3, concat.Inputs.Count);
        Assert.Equal(new[] { 1, 5, 7 }, concat.Inputs.ToArray());
        Assert.Equal(new[] { -1 }, n.Layers[2].Inputs.ToArray()); // every branch sees the input
        Assert.Equal("concat1", concat.Name);
    }

    [Fact]
    public void Concat_of_flat_vectors_and_empty_branch()
    {
        var n = T.Net("10", "concat { [dense 3] [dense 4] [] }");
        Assert.Equal(new[] { 17 }, Shape(n.OutputShape));
        Assert.Equal(new[] { 0, 1, -1 }, T.Last(n).Inputs.ToArray());
    }

    [Fact]
    public void Add_sums_equal_shapes()
    {
        var n = T.Net("4x8x8", "add {\n  [conv 3x3x4 p1]\n  [conv 1x1x4]\n  []\n}");
        Assert.Equal(MergeOperation.Add, T.Last(n).Merge().Operation);
        Assert.Equal(new[] { 4, 8, 8 }, Shape(n.OutputShape));
        var bad = T.Single(T.Compile("network N\ninput 4x8x8\nadd {\n  [conv 3x3x4]\n  []\n}\n"), "CNN2010");
        Assert.Contains("branch 1 ends in 4x6x6, branch 2 ends in 4x8x8", bad.Message);
        T.Span(bad, 2, 0, 2, 3);
    }

    [Fact]
    public void Residual_with_shortcut_on_the_same_or_next_line()
    {
        const string body = "residual {\n  conv 3x3x128 s2 p1 -> bn -> relu\n  conv 3x3x128 p1 -> bn\n}";
        var same = T.Net("64x32x32", body + " shortcut {\n  conv 1x1x128 s2 -> bn\n}\nrelu");
        var next = T.Net("64x32x32", body + "\nshortcut { conv 1x1x128 s2 -> bn }\nrelu");
        Assert.Equal(same.Layers, next.Layers);
        Assert.Equal(new[] { 128, 16, 16 }, Shape(same.OutputShape));
        var add = same.Layers.Single(l => l is MergeLayer { Operation: MergeOperation.Add });
        Assert.Equal("residual add", add.Definition);
        Assert.Equal(new[] { 4, 6 }, add.Inputs.ToArray());
        var identity = T.Net("4x8x8", "residual { conv 3x3x4 p1 }");
        Assert.Equal(new[] { 0, -1 }, T.Last(identity).Inputs.ToArray());
        Assert.Equal("residual add (identity shortcut)", T.Last(identity).Definition);
        var mismatch = T.Single(T.Compile("network N\ninput 4x8x8\nresidual { conv 3x3x8 p1 } shortcut { conv 1x1x4 }\n"), "CNN2010");
        Assert.Contains("the shortcut ends in 4x8x8", mismatch.Message);
    }

    // ---- convolution ---------------------------------------------------------------------

    [Fact]
    public void Conv_1d_2d_3d()
    {
        var c1 = T.Last(T.Net("2x100", "conv 5x8"));
        Assert.Equal(new[] { 8, 96 }, Shape(c1.OutputShape));
        Assert.Equal(8 * (5 * 2 + 1), c1.ParameterCount);
        Assert.Equal(new[] { 8, 2, 5 }, c1.Parameters[0].Shape.ToArray());
        var c2 = T.Last(T.Net("3x32x32", "conv 5x3x6"));
        Assert.Equal(new[] { 6, 28, 30 }, Shape(c2.OutputShape));
        Assert.Equal(6 * (5 * 3 * 3 + 1), c2.ParameterCount);
        Assert.Equal(6L * 5 * 3 * 3 * 28 * 30, c2.Macs);
        Assert.Equal("6·(5·3·3+1)", c2.ParameterFormula);
        var c3 = T.Last(T.Net("2x8x16x16", "conv 3x3x3x4")).Conv();
        Assert.Equal(new[] { 4, 6, 14, 14 }, Shape(c3.OutputShape));
        Assert.Equal(4 * (27 * 2 + 1), c3.ParameterCount);
        Assert.Equal(new[] { 4, 2, 3, 3, 3 }, c3.Parameters[0].Shape.ToArray());
    }

    [Fact]
    public void Short_and_long_option_forms_are_equivalent()
    {
        var shortForm = T.Last(T.Net("3x32x32", "conv 3x3x8 s2 p1x2 d2 g1")).Conv();
        var longForm = T.Last(T.Net("3x32x32", "conv 3x3x8 stride=2 pad=1x2 dilation=2 groups=1")).Conv();
        var padding = T.Last(T.Net("3x32x32", "conv 3x3x8 stride=2 padding=1x2 d=2 g=1")).Conv();
        Assert.Equal(shortForm, longForm);
        Assert.Equal(shortForm, padding);
        // H: floor((32+2−2·2−1)/2)+1 = 15; W: floor((32+4−5)/2)+1 = 16
        Assert.Equal(new[] { 8, 15, 16 }, Shape(shortForm.OutputShape));
        Assert.Equal(new[] { 1, 2 }, shortForm.PadBefore.ToArray());
        Assert.Equal(new[] { 2, 2 }, shortForm.Stride.ToArray());
        Assert.Equal(new[] { 2, 2 }, shortForm.Dilation.ToArray());
        Assert.Equal("conv 3x3x8 s2 p1x2 d2", shortForm.Definition);
        var perDim = T.Last(T.Net("3x32x32", "conv 3x3x8 s1x2")).Conv();
        Assert.Equal(new[] { 8, 30, 15 }, Shape(perDim.OutputShape));
    }

    [Fact]
    public void Same_padding_puts_the_odd_pixel_after()
    {
        // 7, k3, s2: out ceil(7/2) = 4; total (4−1)·2 + 3 − 7 = 2 → 1/1
        var a = T.Last(T.Net("1x7x7", "conv 3x3x1 s2 same")).Conv();
        Assert.Equal(new[] { 1, 4, 4 }, Shape(a.OutputShape));
        Assert.Equal("1,1/1,1", Pads(a));
        // 8, k3, s2: out 4; total 3·2 + 3 − 8 = 1 → 0 before, 1 after
        var b = T.Last(T.Net("1x8x8", "conv 3x3x1 s2 same")).Conv();
        Assert.Equal(new[] { 1, 4, 4 }, Shape(b.OutputShape));
        Assert.Equal("0,0/1,1", Pads(b));
        // 7, k4, s1: out 7; total 3 → 1 before, 2 after; 9x7, k2 s2: out 5x4; totals 1 and 1 → 0/1
        var c = T.Last(T.Net("1x7x7", "conv 4x4x1 same")).Conv();
        Assert.Equal("1,1/2,2", Pads(c));
        Assert.Equal(new[] { 1, 7, 7 }, Shape(c.OutputShape));
        var d = T.Last(T.Net("1x9x7", "conv 2x2x1 s2 same")).Conv();
        Assert.Equal(new[] { 1, 5, 4 }, Shape(d.OutputShape));
        Assert.Equal("0,0/1,1", Pads(d));
        // with dilation 2 the window spans 5: total 4 → 2/2
        var e = T.Last(T.Net("1x8x8", "conv 3x3x1 d2 same")).Conv();
        Assert.Equal(new[] { 1, 8, 8 }, Shape(e.OutputShape));
        Assert.Equal(new[] { 2, 2 }, e.PadBefore.ToArray());
    }

    [Fact]
    public void Full_and_valid_padding()
    {
        var full = T.Last(T.Net("1x8x8", "conv 3x3x1 full")).Conv();
        Assert.Equal(new[] { 1, 10, 10 }, Shape(full.OutputShape));
        Assert.Equal(new[] { 2, 2 }, full.PadBefore.ToArray());
        var fullDilated = T.Last(T.Net("1x8x8", "conv 3x3x1 full d2")).Conv();
        Assert.Equal(new[] { 1, 12, 12 }, Shape(fullDilated.OutputShape));
        var valid = T.Last(T.Net("1x8x8", "conv 3x3x1 valid")).Conv();
        Assert.Equal(new[] { 1, 6, 6 }, Shape(valid.OutputShape));
        var conflict = T.Single(T.Compile("network N\ninput 1x8x8\nconv 3x3x1 p1 same\n"), "CNN1008");
        Assert.Contains("`same` conflicts with `p1`", conflict.Message);
        T.Span(conflict, 2, 14, 2, 18);
    }

    [Fact]
    public void Padding_modes()
    {
        Assert.Equal(PaddingMode.Zeros, T.Last(T.Net("1x8x8", "conv 3x3x1 p1")).Conv().PaddingMode);
        Assert.Equal(PaddingMode.Zeros, T.Last(T.Net("1x8x8", "conv 3x3x1 p1 zeros")).Conv().PaddingMode);
        Assert.Equal(PaddingMode.Reflect, T.Last(T.Net("1x8x8", "conv 3x3x1 p1 reflect")).Conv().PaddingMode);
        Assert.Equal(PaddingMode.Replicate, T.Last(T.Net("1x8x8", "conv 3x3x1 p1 replicate")).Conv().PaddingMode);
        var circular = T.Last(T.Net("1x8x8", "conv 3x3x1 same circular")).Conv();
        Assert.Equal(PaddingMode.Circular, circular.PaddingMode);
        Assert.Equal("conv 3x3x1 same circular", circular.Definition);
        var tooMuch = T.Single(T.Compile("network N\ninput 1x3x3\nconv 3x3x1 p3 reflect\n"), "CNN2019");
        Assert.Contains("reflect padding of 3 must be smaller than the input size 3", tooMuch.Message);
        Assert.Contains(T.Compile("network N\ninput 1x8x8\nconv 3x3x1 reflect circular\n").Diagnostics, d => d.Id == "CNN1008");
    }

    [Fact]
    public void Groups_nobias_and_depthwise()
    {
        var g = T.Last(T.Net("4x8x8", "conv 3x3x8 g2")).Conv();
        Assert.Equal(8 * (9 * 2 + 1), g.ParameterCount);
        Assert.Equal(new[] { 8, 2, 3, 3 }, g.Parameters[0].Shape.ToArray());
        Assert.Equal(2, g.Groups);
        var nb = T.Last(T.Net("4x8x8", "conv 3x3x8 nobias")).Conv();
        Assert.Equal(8 * 9 * 4, nb.ParameterCount);
        Assert.False(nb.HasBias);
        Assert.Single(nb.Parameters);
        Assert.Equal("8·3·3·4", nb.ParameterFormula);
        var dw = T.Last(T.Net("4x8x8", "dwconv 3x3")).Conv();
        Assert.Equal(new[] { 4, 6, 6 }, Shape(dw.OutputShape));
        Assert.Equal(4 * 9 + 4, dw.ParameterCount);
        Assert.Equal(4, dw.Groups);
        var dw2 = T.Last(T.Net("4x8x8", "dwconv 3x3x2 p1 nobias")).Conv();
        Assert.Equal(new[] { 8, 8, 8 }, Shape(dw2.OutputShape));
        Assert.Equal(8 * 9, dw2.ParameterCount);
        Assert.Equal(8L * 9 * 64, dw2.Macs);
        Assert.Contains(T.Compile("network N\ninput 4x8x8\ndwconv 3x3 g2\n").Diagnostics, d => d.Id == "CNN1003");
    }

    // ---- pooling and other layers -----------------------------------------------------------

    [Fact]
    public void Pooling_layers()
    {
        Assert.Equal(new[] { 4, 4, 4 }, Shape(T.Last(T.Net("4x8x8", "maxpool 2")).OutputShape));
        Assert.Equal(new[] { 4, 3, 3 }, Shape(T.Last(T.Net("4x8x8", "avgpool 3 s2")).OutputShape));
        Assert.Equal(new[] { 4, 4, 2 }, Shape(T.Last(T.Net("4x8x8", "maxpool 2x4")).OutputShape));
        Assert.Equal(new[] { 4, 4, 4 }, Shape(T.Last(T.Net("4x7x7", "maxpool 3 s2 p1")).OutputShape));
        var ceil = T.Last(T.Net("4x5x5", "maxpool 2 ceil")).Pool();
        Assert.Equal(new[] { 4, 3, 3 }, Shape(ceil.OutputShape));
        Assert.True(ceil.CeilMode);
        // PyTorch drops a last window that would start in the right padding: 6, k2, s2, p1, ceil → 4, not 5
        Assert.Equal(new[] { 1, 4 }, Shape(T.Last(T.Net("1x6", "maxpool 2 s2 p1 ceil")).Pool().OutputShape));
        var lp = T.Last(T.Net("4x8x8", "lppool 2 norm=3")).Pool();
        Assert.Equal(3, lp.Norm);
        Assert.Equal(new[] { 4, 4, 4 }, Shape(lp.OutputShape));
        Assert.Equal(2, T.Last(T.Net("4x8x8", "lppool 2")).Pool().Norm);
        Assert.Equal(new[] { 4, 7, 7 }, Shape(T.Last(T.Net("4x32x32", "adaptiveavgpool 7x7")).OutputShape));
        Assert.Equal(new[] { 4, 1, 1 }, Shape(T.Last(T.Net("4x32x32", "adaptivemaxpool 1")).OutputShape));
        Assert.Equal(new[] { 4 }, Shape(T.Last(T.Net("4x32x32", "globalavgpool")).OutputShape));
        Assert.Equal(new[] { 4 }, Shape(T.Last(T.Net("4x4x32x32", "globalmaxpool")).OutputShape));
        Assert.Equal(new[] { 2, 50 }, Shape(T.Last(T.Net("2x100", "avgpool 2")).OutputShape));
        Assert.Equal(new[] { 2, 4, 4, 4 }, Shape(T.Last(T.Net("2x8x8x8", "maxpool 2")).OutputShape));
    }

    [Fact]
    public void Activations_and_shape_preserving_layers()
    {
        foreach (var kind in new[] { "relu", "sigmoid", "tanh", "logsoftmax", "leakyrelu", "elu", "dropout", "identity", "bn" })
        {
            var layer = T.Last(T.Net("4x8x8", kind));
            Assert.Equal(new[] { 4, 8, 8 }, Shape(layer.OutputShape));
            Assert.Equal(kind == "bn" ? 8 : 0, layer.ParameterCount);
            Assert.Equal(0, layer.Macs);
        }
        Assert.Equal(new[] { 10 }, Shape(T.Last(T.Net("10", "softmax")).OutputShape));
        Assert.Equal(0.01, T.Last(T.Net("4", "leakyrelu")).Act().Alpha);
        Assert.Equal(1.0, T.Last(T.Net("4", "elu")).Act().Alpha);
        Assert.Equal(0.5, T.Last(T.Net("4", "dropout")).Drop().Rate);
        Assert.Equal(0.3, T.Last(T.Net("4", "dropout 0.3")).Drop().Rate);
        Assert.Equal(0.3, T.Last(T.Net("4", "dropout rate=0.3")).Drop().Rate);
        Assert.Equal(0.2, T.Last(T.Net("4", "leakyrelu slope=0.2")).Act().Alpha);
        Assert.Contains(T.Compile("network N\ninput 4\ndropout 1\n").Diagnostics, d => d.Id == "CNN1004");
        var bn = T.Last(T.Net("4x8x8", "batchnorm")).Bn();
        Assert.Equal(1e-5, bn.Epsilon);
        Assert.Equal(0.1, bn.Momentum);
        Assert.Equal("2·4", bn.ParameterFormula);
        Assert.Equal(3, bn.State.Count);
    }

    [Fact]
    public void Maxout_flatten_dense()
    {
        Assert.Equal(new[] { 4, 8, 8 }, Shape(T.Last(T.Net("8x8x8", "maxout 2")).OutputShape));
        Assert.Equal(new[] { 5 }, Shape(T.Last(T.Net("10", "maxout 2")).OutputShape));
        Assert.Equal(new[] { 256 }, Shape(T.Last(T.Net("4x8x8", "flatten")).OutputShape));
        var dense = T.Last(T.Net("4x8x8", "flatten -> dense 10"));
        Assert.Equal(10 * 257, dense.ParameterCount);
        Assert.Equal(2560, dense.Macs);
        Assert.Equal(new[] { 10, 256 }, dense.Parameters[0].Shape.ToArray());
        var nobias = T.Last(T.Net("4", "dense 3 nobias"));
        Assert.Equal(12, nobias.ParameterCount);
        Assert.Equal("3·4", nobias.ParameterFormula);
    }

    // ---- files, budgets ---------------------------------------------------------------------

    [Fact]
    public void Several_networks_and_blocks_per_file()
    {
        var r = T.Compile("block a {\n  relu\n}\nnetwork One\ninput 4\na\nblock b {\n  tanh\n}\nnetwork Two in X\ninput 2x8\nb -> a\n");
        Assert.False(r.HasErrors);
        Assert.Equal(new[] { "One", "Two" }, r.Models().Select(n => n.Name));
        Assert.Equal(new[] { "b1.tanh1", "a1.relu1" }, Names(r.Models()[1]));
        Assert.Equal(2, r.Diagnostics.Count(d => d.Id == "CNN4002"));
    }

    [Fact]
    public void Budgets_pass_and_fail()
    {
        // LeNet: 61,706 parameters, 416,520 MACs
        string lenet = File.ReadAllText(T.ExamplePath("lenet5.cnn"));
        string Budget(string b) => lenet.Replace("input 1x28x28\n", "input 1x28x28\n" + b + "\n");
        Assert.Empty(T.Compile(Budget("budget params 100k macs 5M")).Problems());
        Assert.Empty(T.Compile(Budget("budget params 61706 macs 416520")).Problems());
        Assert.Empty(T.Compile(Budget("budget macs 1G")).Problems());
        var r = T.Compile(Budget("budget params 61705 macs 0.4M"));
        Assert.Contains("by 1", T.Single(r, "CNN2013").Message);
        Assert.Contains("416,520 multiply-adds per example, over its budget of 0.4M (400,000) by 16,520", T.Single(r, "CNN2014").Message);
        Assert.Empty(r.Models());
        var unknown = T.Single(T.Compile(Budget("budget parms 100k")), "CNN1003");
        Assert.Contains("did you mean `params`?", unknown.Message);
        Assert.Contains(T.Compile(Budget("budget params 100q")).Diagnostics, d => d.Id == "CNN1004");
    }

    [Fact]
    public void Activation_memory_and_summary()
    {
        var n = T.CompileExample("lenet5.cnn").Networks.Single();
        Assert.Contains("Total parameters: 61,706", n.Summary);
        Assert.Contains("batchnorm running statistics are buffers", n.Summary);
        Assert.Contains("conv1", n.Summary);
        // training keeps the input and every stored output: conv1 → relu → maxpool stores only the pooled
        // 6x14x14, conv2's chain only 16x5x5, a dense layer and its relu one tensor: the generated
        // model's training arena (ActivationElements) is exactly this
        Assert.Equal(784 + 1176 + 400 + 400 + 120 + 84 + 10, n.Plan.Training.Elements);
        // inference: the input with conv1's pooled output (784 + 1176), then pool1's with conv2's (1176 + 400)
        Assert.Equal(784 + 1176, n.Plan.Inference.Elements);
    }

    // ---- syntax tree ----------------------------------------------------------------------------

    [Fact]
    public void Parse_keeps_labels_options_and_spans()
    {
        var file = CnnCompiler.Parse("network N\ninput 1x8x8\nc1: conv 3x3x{2} s2 pad=1x2 same\n", out var diagnostics);
        Assert.Empty(diagnostics);
        var network = Assert.Single(file.Networks);
        var layer = Assert.IsType<LayerSyntax>(network.Body.Elements[1]);
        Assert.Equal("c1", layer.Label);
        Assert.Equal("conv", layer.Keyword);
        Assert.Equal(3, layer.Argument!.Parts.Count);
        Assert.IsType<ExpressionValueSyntax>(layer.Argument.Parts[2]);
        Assert.Equal(new[] { "s", "pad", "same" }, layer.Options.Select(o => o.Name));
        Assert.Equal(2, layer.Options[1].Value!.Parts.Count);
        Assert.Equal((2, 0, 2, 32), (layer.Span.StartLine, layer.Span.StartColumn, layer.Span.EndLine, layer.Span.EndColumn));
        Assert.Equal((2, 20, 2, 23), (layer.Options[1].NameSpan.StartLine, layer.Options[1].NameSpan.StartColumn, layer.Options[1].NameSpan.EndLine, layer.Options[1].NameSpan.EndColumn));
    }

    [Fact]
    public void Lexer_keeps_words_with_x()
    {
        var file = CnnCompiler.Parse("network x1\ninput 2x3\nmaxout 2x2 -> x: relu\n", out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Equal("x1", file.Networks[0].Name);
        var layers = file.Networks[0].Body.Elements.OfType<LayerSyntax>().ToList();
        Assert.Equal("maxout", layers[0].Keyword);
        Assert.Equal(2, layers[0].Argument!.Parts.Count);
        Assert.Equal("x", layers[1].Label);
    }

    [Fact]
    public void Spaces_inside_a_dimension_literal_are_an_error()
    {
        var r = T.Compile("network N\ninput 1x8x8\nconv 3x 3x8\n");
        Assert.True(r.HasErrors);
        Assert.Empty(r.Models());
    }
}
