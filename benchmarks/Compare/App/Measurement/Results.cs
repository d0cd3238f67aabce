using System.Collections.Generic;
using System.Linq;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>Every round's measurement, or the error that stopped a side on a workload.</summary>
public sealed class Results
{
    private readonly Dictionary<(string Workload, string Side), List<Measurement>> _rounds = new();
    private readonly Dictionary<(string Workload, string Side), string> _errors = new();

    public void Add(Workload workload, ISide side, Measurement measurement)
    {
        var key = (workload.Id, side.Name);
        if (!_rounds.TryGetValue(key, out var rounds)) _rounds[key] = rounds = new List<Measurement>();
        rounds.Add(measurement);
    }

    public void Fail(Workload workload, ISide side, string error) => _errors.TryAdd((workload.Id, side.Name), error);

    public string? Error(Workload workload, ISide side) => _errors.GetValueOrDefault((workload.Id, side.Name));

    public IReadOnlyList<Measurement> Rounds(Workload workload, ISide side) =>
        _rounds.TryGetValue((workload.Id, side.Name), out var rounds) ? rounds : new List<Measurement>();

    /// <summary>The median over rounds of seconds per iteration, or null when no round succeeded.</summary>
    public double? MedianSecondsPerIteration(Workload workload, ISide side)
    {
        var sorted = Rounds(workload, side).Select(m => m.SecondsPerIteration).Order().ToArray();
        if (sorted.Length == 0) return null;
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
