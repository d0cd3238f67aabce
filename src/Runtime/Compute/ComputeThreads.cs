using System;
using System.Globalization;

namespace CnnDsl.Runtime;

/// <summary>
/// How many threads the CPU kernels of generated models use. The default is the environment
/// variable <c>CNNDSL_THREADS</c> when it is set, otherwise <see cref="Environment.ProcessorCount"/>.
/// Changing it between steps is allowed; the pool grows once and never allocates per step.
/// </summary>
public static class ComputeThreads
{
    /// <summary>The most threads a process may ask for.</summary>
    public const int MaxCount = 256;

    private static int s_count = DefaultCount();

    /// <summary>Threads the kernels split work over (1 = everything on the calling thread).</summary>
    public static int Count
    {
        get => s_count;
        set
        {
            if (value < 1 || value > MaxCount)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"ComputeThreads.Count must be between 1 and {MaxCount}.");
            s_count = value;
        }
    }

    private static int DefaultCount()
    {
        string? text = Environment.GetEnvironmentVariable("CNNDSL_THREADS");
        if (text is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= MaxCount)
            return n;
        return Math.Clamp(Environment.ProcessorCount, 1, MaxCount);
    }
}
