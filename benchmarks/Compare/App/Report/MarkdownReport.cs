using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>The Markdown the run prints and saves: header, the ratio table, the 16-conv stack's
/// GFLOP/s and % of peak, and every round's numbers.</summary>
public sealed class MarkdownReport(Options options, DateTime started, IReadOnlyList<ISide> sides,
    IReadOnlyList<Workload> workloads, Results results, PeakResult peak)
{
    private readonly StringBuilder _text = new();

    public string Render()
    {
        Header();
        MainTable();
        ParameterCheck();
        FlopsTable();
        RoundsTable();
        return _text.ToString();
    }

    private ISide CnnDsl => sides.First(s => s is CnnDslSide);
    private IEnumerable<ISide> Peers => sides.Where(s => s is not CnnDslSide);

    private void Line(string line = "") => _text.Append(line).Append('\n');

    private void Header()
    {
        Line("# CnnDsl, PyTorch and TorchSharp on the same workloads");
        Line();
        Line($"{started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} · {RunEnvironment.Cpu()} · {options.Threads} threads per side · float32 · "
            + $"median of {options.Rounds} round{(options.Rounds == 1 ? "" : "s")}, each ≥ {Formats.Seconds(options.Seconds)} timed after one untimed step "
            + $"(first round: {Formats.Seconds(options.WarmupSeconds)} warm-up) · seed {options.Seed}");
        Line();
        Line("| Side | Version and settings |");
        Line("|---|---|");
        foreach (var side in sides)
            Line($"| {side.Name} | {Formats.Cell(side.Unavailable is null ? side.Description : "not available: " + side.Unavailable)} |");
        Line();
    }

    private void MainTable()
    {
        Line("| Workload | Unit | " + string.Join(" | ", sides.Select(s => s.Name)) + " | CnnDsl ÷ best peer |");
        Line("|---|---|" + string.Concat(sides.Select(_ => "--:|")) + "--:|");
        foreach (var workload in workloads)
        {
            var cells = sides.Select(side => Cell(workload, side));
            Line($"| {workload.Title} | {workload.Unit} | {string.Join(" | ", cells)} | {RatioCell(workload)} |");
        }
        Line();
        Line("CnnDsl ÷ best peer: CnnDsl's speed over the faster peer's (images/s over images/s; for µs rows, "
            + "the peer's latency over CnnDsl's), so above 1× CnnDsl is faster. Train step: forward, softmax "
            + "cross-entropy, backward and an SGD step (momentum 0.9) on one fixed random batch.");
        Line();
    }

    private string Cell(Workload workload, ISide side)
    {
        if (results.MedianSecondsPerIteration(workload, side) is double seconds) return Formats.Value(workload.Value(seconds));
        if (results.Error(workload, side) is string error) return "failed: " + Formats.Cell(error);
        return side.Unavailable is not null ? "not available" : "–";
    }

    private string RatioCell(Workload workload)
    {
        if (results.MedianSecondsPerIteration(workload, CnnDsl) is not double own) return "–";
        var best = Peers
            .Select(peer => (peer, seconds: results.MedianSecondsPerIteration(workload, peer)))
            .Where(p => p.seconds is not null)
            .OrderBy(p => p.seconds)
            .FirstOrDefault();
        // both metrics are speeds in the same direction once taken as 1 / seconds per iteration
        return best.seconds is double peer ? $"{Formats.Ratio(peer / own)} vs {best.peer.Name}" : "–";
    }

    // Same parameter count on every side is a cheap check that the networks match layer for layer.
    private void ParameterCheck()
    {
        var differences = new List<string>();
        foreach (var workload in workloads)
        {
            long? own = results.Rounds(workload, CnnDsl).FirstOrDefault()?.Parameters;
            foreach (var peer in Peers)
            {
                long? theirs = results.Rounds(workload, peer).FirstOrDefault()?.Parameters;
                if (own is not null && theirs is not null && own != theirs)
                    differences.Add($"{workload.Id}: CnnDsl {own:N0}, {peer.Name} {theirs:N0}");
            }
        }
        if (differences.Count == 0) return;
        Line("**Parameter counts differ, so the networks are not the same:** " + string.Join("; ", differences));
        Line();
    }

    private void FlopsTable()
    {
        foreach (var workload in workloads.Where(w => w.Network == Workloads.ConvStack16))
        {
            double gflop = 2.0 * workload.Network.MultiplyAdds * workload.Batch / 1e9;
            Line($"## {workload.Title}: achieved GFLOP/s");
            Line();
            Line($"{workload.Network.MultiplyAdds:N0} multiply-adds per image (from the shapes) = {gflop:F2} GFLOP per iteration. {PeakSentence()}");
            Line();
            Line("| Side | Latency ms | GFLOP/s | % of peak |");
            Line("|---|--:|--:|--:|");
            foreach (var side in sides)
            {
                if (results.MedianSecondsPerIteration(workload, side) is not double seconds)
                {
                    Line($"| {side.Name} | {Cell(workload, side)} | – | – |");
                    continue;
                }
                double achieved = gflop / seconds;
                string percent = peak.ReferenceGflops is double reference ? Formats.Percent(achieved / reference) : "–";
                Line($"| {side.Name} | {Formats.Value(seconds * 1e3)} | {Formats.Value(achieved)} | {percent} |");
            }
            Line();
        }
    }

    private string PeakSentence()
    {
        string measured = peak.Error is not null
            ? $"FMA peak not measured: {peak.Error}."
            : $"Measured FMA peak ({peak.VectorWidth} FusedMultiplyAdd, 12 independent accumulators, best of 3): "
              + $"1 thread {Formats.Value(peak.SingleThreadGflops!.Value)} GFLOP/s, {peak.Threads} threads {Formats.Value(peak.AllThreadsGflops!.Value)} GFLOP/s.";
        string reference = peak.GivenGflops is double given
            ? $" % of peak divides by {Formats.Value(given)} GFLOP/s (given with --peak-gflops)."
            : peak.AllThreadsGflops is not null ? $" % of peak divides by the {peak.Threads}-thread figure." : "";
        return measured + reference;
    }

    private void RoundsTable()
    {
        Line("## Every round");
        Line();
        Line("In run order; spread = (max − min) / median. In parentheses: the timed iterations of each round.");
        Line();
        Line("| Workload | Side | Unit | Rounds | Spread |");
        Line("|---|---|---|---|--:|");
        foreach (var workload in workloads)
        {
            foreach (var side in sides)
            {
                var values = results.Rounds(workload, side).Select(m => workload.Value(m.SecondsPerIteration)).ToArray();
                if (values.Length == 0) continue;
                double median = workload.Value(results.MedianSecondsPerIteration(workload, side)!.Value);
                string spread = Formats.Percent((values.Max() - values.Min()) / median);
                string rounds = string.Join(", ", results.Rounds(workload, side).Select(m =>
                    $"{Formats.Value(workload.Value(m.SecondsPerIteration))} ({m.Iterations})"));
                Line($"| {workload.Id} | {side.Name} | {workload.Unit} | {rounds} | {spread} |");
            }
        }
        Line();
    }
}
