using System;
using System.Collections.Generic;
using System.Globalization;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>The command line of the Compare app (see <see cref="Usage"/>).</summary>
public sealed record Options
{
    public const string Usage = """
        usage: Compare [options]     (benchmarks/Compare/run.sh builds everything and passes the peer paths)
          --threads N            threads for every side (default 2)
          --rounds R             rounds per workload and side; the table shows medians (default 5)
          --seconds S            timed seconds per round, at least (default 0.3)
          --warmup S             warm-up seconds before a workload's first round, per side (default 1)
          --only A,B             only workloads whose id contains one of these (ids: lenet5/train/64, ...)
          --peers A,B            the peers beside CnnDsl: pytorch, torchsharp, or none (default both)
          --peak-gflops G        the peak for the 16-conv stack's "% of peak" (default: measured FMA peak)
          --peak-seconds S       seconds per FMA peak measurement (default 0.25)
          --seed N               seed of the random weights and data (default 1)
          --python PATH          Python with torch for the PyTorch side (default /usr/bin/python3)
          --torch-peer PATH      benchmarks/Compare/torch_peer.py
          --torchsharp-peer PATH the built TorchSharpPeer.dll
          --out FILE             where the Markdown goes too (default benchmarks/Compare/results/results-DATE.md)
        """;

    public int Threads { get; init; } = 2;
    public int Rounds { get; init; } = 5;
    public double Seconds { get; init; } = 0.3;
    public double WarmupSeconds { get; init; } = 1;
    public IReadOnlyList<string> Only { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Peers { get; init; } = new[] { "pytorch", "torchsharp" };
    public double? PeakGflops { get; init; }
    public double PeakSeconds { get; init; } = 0.25;
    public int Seed { get; init; } = 1;
    public string Python { get; init; } = "/usr/bin/python3";
    public string TorchPeer { get; init; } = "benchmarks/Compare/torch_peer.py";
    public string TorchSharpPeer { get; init; } = "benchmarks/Compare/TorchSharpPeer/bin/Release/net10.0/TorchSharpPeer.dll";
    public string? Out { get; init; }
    public bool Help { get; init; }

    /// <exception cref="FormatException">An unknown option, a missing or malformed value.</exception>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help") { options = options with { Help = true }; continue; }
            if (i + 1 >= args.Count) throw new FormatException($"{name} needs a value");
            string value = args[++i];
            options = name switch
            {
                "--threads" => options with { Threads = Positive(name, Int(name, value)) },
                "--rounds" => options with { Rounds = Positive(name, Int(name, value)) },
                "--seconds" => options with { Seconds = NonNegative(name, Double(name, value)) },
                "--warmup" => options with { WarmupSeconds = NonNegative(name, Double(name, value)) },
                "--only" => options with { Only = List(value) },
                "--peers" => options with { Peers = value == "none" ? Array.Empty<string>() : Known(name, List(value), "pytorch", "torchsharp") },
                "--peak-gflops" => options with { PeakGflops = Positive(name, Double(name, value)) },
                "--peak-seconds" => options with { PeakSeconds = Positive(name, Double(name, value)) },
                "--seed" => options with { Seed = Int(name, value) },
                "--python" => options with { Python = value },
                "--torch-peer" => options with { TorchPeer = value },
                "--torchsharp-peer" => options with { TorchSharpPeer = value },
                "--out" => options with { Out = value },
                _ => throw new FormatException($"unknown option {name}"),
            };
        }
        return options;
    }

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new FormatException($"{name} needs an integer, not '{value}'");

    private static double Double(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : throw new FormatException($"{name} needs a number, not '{value}'");

    private static T Positive<T>(string name, T value) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new FormatException($"{name} must be positive");

    private static double NonNegative(string name, double value) =>
        value >= 0 ? value : throw new FormatException($"{name} must not be negative");

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string[] Known(string name, string[] values, params string[] known)
    {
        foreach (string v in values)
            if (Array.IndexOf(known, v) < 0) throw new FormatException($"{name}: unknown '{v}' (known: {string.Join(", ", known)})");
        return values;
    }
}
