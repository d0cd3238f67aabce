namespace CnnDsl.Benchmarks.Compare;

/// <summary>The measured FMA peak (one thread and all threads), the peak given on the command line if
/// any, and which of them "% of peak" divides by: the given one, else the all-threads measurement.</summary>
public sealed record PeakResult(string? VectorWidth, int Threads, double? SingleThreadGflops, double? AllThreadsGflops, double? GivenGflops, string? Error)
{
    public double? ReferenceGflops => GivenGflops ?? AllThreadsGflops;

    public static PeakResult Measure(int threads, double seconds, double? given)
    {
        try
        {
            return new PeakResult(PeakFma.VectorWidth, threads, PeakFma.MeasureGflops(1, seconds), PeakFma.MeasureGflops(threads, seconds), given, null);
        }
        catch (System.PlatformNotSupportedException e)
        {
            return new PeakResult(null, threads, null, null, given, e.Message);
        }
    }
}
