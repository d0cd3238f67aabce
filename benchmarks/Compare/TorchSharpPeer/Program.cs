using System;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CnnDsl.Benchmarks.TorchSharpPeer;
using TorchSharp;

// The TorchSharp side of benchmarks/Compare: a worker that the Compare app drives over stdin/stdout
// with the protocol of torch_peer.py (see its docstring):
//   TorchSharpPeer --threads N --seed S
//   → one JSON line describing itself; then per request line
//     "measure NETWORK MODE BATCH WARMUP_SECONDS MIN_SECONDS" → {"iterations","seconds","parameters"} or {"error"}
int threads = 0, seed = 1;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--threads") threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    else if (args[i] == "--seed") seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}
if (threads < 1)
{
    Console.Error.WriteLine("usage: TorchSharpPeer --threads N [--seed S]");
    return 2;
}

torch.set_num_threads(threads);
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string>
{
    ["side"] = "TorchSharp",
    ["version"] = Metadata("TorchSharpVersion"),
    ["details"] = $"libtorch {Metadata("LibTorchVersion")}, threads {torch.get_num_threads()} (asked {threads}), .NET {Environment.Version}",
}));

var workloads = new Dictionary<(string, string, int), Workload>();
string? line;
while ((line = Console.ReadLine()) is not null)
{
    string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    if (words.Length == 0) continue;
    object reply;
    try
    {
        if (words.Length != 6 || words[0] != "measure")
            throw new FormatException($"expected 'measure NETWORK MODE BATCH WARMUP_SECONDS MIN_SECONDS', got '{line}'");
        var key = (words[1], words[2], int.Parse(words[3], CultureInfo.InvariantCulture));
        if (!workloads.TryGetValue(key, out var workload))
            workloads[key] = workload = new Workload(key.Item1, key.Item2, key.Item3, seed);
        var (iterations, seconds) = workload.MeasureRound(
            double.Parse(words[4], CultureInfo.InvariantCulture), double.Parse(words[5], CultureInfo.InvariantCulture));
        reply = new Dictionary<string, object> { ["iterations"] = iterations, ["seconds"] = seconds, ["parameters"] = workload.Parameters };
    }
    catch (Exception e) // report and go on: one failed workload should not end the run
    {
        reply = new Dictionary<string, object> { ["error"] = $"{e.GetType().Name}: {e.Message}" };
    }
    Console.WriteLine(JsonSerializer.Serialize(reply));
}
return 0;

static string Metadata(string key)
{
    foreach (var attribute in typeof(Workload).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>())
        if (attribute.Key == key) return attribute.Value ?? "?";
    return "?";
}
