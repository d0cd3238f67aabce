using System;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>What one round of one workload took on one side.</summary>
public sealed record Measurement(long Iterations, double Seconds, long Parameters)
{
    public double SecondsPerIteration => Seconds / Iterations;
}

/// <summary>How long to warm up and to time; the same for every side.</summary>
public sealed record TimingPlan(double WarmupSeconds, double MinSeconds);

/// <summary>A framework under comparison: CnnDsl in this process, or a peer worker process.</summary>
public interface ISide : IDisposable
{
    /// <summary>The table's column name.</summary>
    string Name { get; }

    /// <summary>Version and settings, for the report's header.</summary>
    string Description { get; }

    /// <summary>Why this side cannot run (not installed, failed to start, died), or null.</summary>
    string? Unavailable { get; }

    /// <summary>One round of <paramref name="workload"/>: warm-up on its first round, one untimed
    /// step, then timed steps (see <see cref="TimedLoop.MeasureRound"/>).</summary>
    /// <exception cref="SideException">The side could not run this workload.</exception>
    Measurement Measure(Workload workload, TimingPlan plan);
}

public sealed class SideException(string message) : Exception(message);
