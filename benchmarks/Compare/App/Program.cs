using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CnnDsl.Benchmarks.Compare;

// CnnDsl against PyTorch and TorchSharp on the same workloads, threads and data type, in one run
// (README.md beside this project). The table goes to stdout and to a Markdown file; progress to stderr.
Options options;
try
{
    options = Options.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n\n{Options.Usage}");
    return 2;
}
if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

var workloads = Workloads.All
    .Where(w => options.Only.Count == 0 || options.Only.Any(o => w.Id.Contains(o, StringComparison.OrdinalIgnoreCase)))
    .ToList();
if (workloads.Count == 0)
{
    Console.Error.WriteLine($"error: --only {string.Join(",", options.Only)} matches none of {string.Join(", ", Workloads.All.Select(w => w.Id))}");
    return 2;
}

DateTime started = DateTime.Now;
Console.Error.WriteLine($"measuring the FMA peak ({options.Threads} threads) ...");
var peak = PeakResult.Measure(options.Threads, options.PeakSeconds, options.PeakGflops);

Console.Error.WriteLine("starting the sides ...");
var sides = new List<ISide> { new CnnDslSide(options.Threads, options.Seed) };
if (options.Peers.Contains("pytorch"))
    sides.Add(WorkerSide.PyTorch(options.Python, options.TorchPeer, options.Threads, options.Seed));
if (options.Peers.Contains("torchsharp"))
    sides.Add(WorkerSide.TorchSharp(options.TorchSharpPeer, options.Threads, options.Seed));
try
{
    foreach (var side in sides)
        Console.Error.WriteLine($"  {side.Name}: {side.Unavailable ?? side.Description}");

    var plan = new TimingPlan(options.WarmupSeconds, options.Seconds);
    var results = Comparison.Run(sides, workloads, options.Rounds, plan, Console.Error);
    string markdown = new MarkdownReport(options, started, sides, workloads, results, peak).Render();

    string path = options.Out ?? Path.Combine("benchmarks", "Compare", "results",
        $"results-{started.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture)}.md");
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    File.WriteAllText(path, markdown);
    Console.Write(markdown);
    Console.Error.WriteLine($"written to {path}");
    return 0;
}
finally
{
    foreach (var side in sides) side.Dispose();
}
