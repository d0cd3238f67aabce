using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>
/// Runs the rounds. Round after round every workload runs on every side in turn, so slow drifts in
/// the machine's load (it is shared and noisy) touch all sides alike and a ratio compares numbers
/// taken seconds apart; medians over rounds then drop the outliers.
/// </summary>
public static class Comparison
{
    public static Results Run(IReadOnlyList<ISide> sides, IReadOnlyList<Workload> workloads, int rounds, TimingPlan plan, TextWriter progress)
    {
        var results = new Results();
        for (int round = 0; round < rounds; round++)
        {
            foreach (var workload in workloads)
            {
                var line = new StringBuilder($"round {round + 1}/{rounds}  {workload.Id,-22}");
                for (int k = 0; k < sides.Count; k++)
                {
                    // each side goes first in turn, so none always runs right after the same neighbour
                    var side = sides[(k + round) % sides.Count];
                    if (side.Unavailable is not null || results.Error(workload, side) is not null) continue;
                    try
                    {
                        var measurement = side.Measure(workload, plan);
                        results.Add(workload, side, measurement);
                        line.Append($"  {side.Name} {Formats.Value(workload.Value(measurement.SecondsPerIteration))} {workload.Unit}");
                    }
                    catch (SideException e)
                    {
                        results.Fail(workload, side, e.Message);
                        line.Append($"  {side.Name} failed: {e.Message}");
                    }
                }
                progress.WriteLine(line);
            }
        }
        return results;
    }
}
