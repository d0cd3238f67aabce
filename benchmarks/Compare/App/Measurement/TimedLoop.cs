using System;
using System.Diagnostics;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>
/// How the .NET sides time one round (CnnDsl here; the TorchSharp peer links this file);
/// torch_peer.py's measure and run_for are the same steps in Python.
/// </summary>
public static class TimedLoop
{
    /// <summary>
    /// One round: on the workload's first round a warm-up (JIT, first-touch allocations, thread
    /// pools), then one untimed step (the other sides ran in between and took the caches), then
    /// steps until <paramref name="minSeconds"/> have passed.
    /// </summary>
    public static (long Iterations, double Seconds) MeasureRound(Action step, bool firstRound, double warmupSeconds, double minSeconds)
    {
        if (firstRound) RunFor(step, warmupSeconds, minIterations: 2);
        step();
        return RunFor(step, minSeconds, minIterations: 1);
    }

    /// <summary>Steps until <paramref name="minSeconds"/> have passed and at least
    /// <paramref name="minIterations"/> steps ran. Stepping against a clock rather than a fixed
    /// count gives fast and slow workloads the same noise floor.</summary>
    public static (long Iterations, double Seconds) RunFor(Action step, double minSeconds, int minIterations)
    {
        long iterations = 0;
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            step();
            iterations++;
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (elapsed >= minSeconds && iterations >= minIterations)
                return (iterations, elapsed);
        }
    }
}
