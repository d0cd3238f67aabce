using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using CnnDsl.Dsl;

// Median wall time of CnnCompiler.Compile (lex, parse, check, summaries) over N runs after warm-up.
// Usage: dotnet run -c Release --project benchmarks/ParseTime [-- runs]
int runs = args.Length > 0 ? int.Parse(args[0]) : 31;
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "CnnDsl.sln"))) root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;

var cases = new List<(string Name, string Text)>
{
    ("5,000-line file (499 networks)", MakeLargeFile(5_000)),
    ("ResNet-18 (resnet18.cnn)", File.ReadAllText(Path.Combine(root, "examples", "Zoo", "models", "resnet18.cnn"))),
    ("LeNet-5 (lenet5.cnn)", File.ReadAllText(Path.Combine(root, "examples", "Zoo", "models", "lenet5.cnn"))),
};

Console.WriteLine($".NET {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.ProcessArchitecture}");
Console.WriteLine($"{runs} timed runs after 5 warm-up runs each");
foreach (var (name, text) in cases)
{
    var check = CnnCompiler.Compile("bench.cnn", text);
    if (check.HasErrors || check.Networks.Count == 0) throw new InvalidOperationException(name + " does not compile");
    for (int i = 0; i < 5; i++) CnnCompiler.Compile("bench.cnn", text);
    var times = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        CnnCompiler.Compile("bench.cnn", text);
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    int lines = text.Count(c => c == '\n');
    Console.WriteLine($"{name}: {lines:N0} lines, {check.Networks.Sum(n => n.Network.Layers.Count):N0} layers; median {times[times.Count / 2]:F2} ms (min {times[0]:F2}, max {times[times.Count - 1]:F2})");
}

// The same generated file as tests/Dsl.Tests (LargeFile.Make): a block and networks of 10 lines each.
static string MakeLargeFile(int lines)
{
    var sb = new StringBuilder();
    sb.Append("block unit(c, s = 1) {\n  conv 3x3x{c} s{s} p1 nobias -> bn -> relu\n  conv 3x3x{c} p1 -> relu  # second\n}\n");
    int networks = (lines - 4) / 10;
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
    for (int i = 0; i < lines - 4 - networks * 10; i++) sb.Append("// padding line\n");
    return sb.ToString();
}
