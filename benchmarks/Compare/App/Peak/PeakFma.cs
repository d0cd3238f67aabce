using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>
/// The machine's fused multiply-add throughput: the ceiling for "% of peak". Twelve independent
/// accumulators kept in registers cover the FMA latency (4–5 cycles) times the FMA ports (2), so
/// the loop is bound by throughput alone; each step is acc = acc·a + b with a just below 1, which
/// converges to a normal number, so no overflow or subnormal slows it.
/// </summary>
public static class PeakFma
{
    private const int Accumulators = 12;

    /// <summary>Vector512 where it is hardware accelerated, else Vector256, else null (no FMA vectors).</summary>
    public static string? VectorWidth =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : null;

    private static int Lanes => Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;

    /// <summary>GFLOP/s (2 per lane per FMA) of <paramref name="threads"/> threads running the kernel
    /// at once for about <paramref name="seconds"/>; the best of three tries (noise only slows it).</summary>
    public static double MeasureGflops(int threads, double seconds)
    {
        if (VectorWidth is null) throw new PlatformNotSupportedException("neither Vector512 nor Vector256 is hardware accelerated");
        long iterations = Calibrate(seconds);
        double best = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            double elapsed = RunOnThreads(threads, iterations);
            best = Math.Max(best, threads * (double)iterations * Accumulators * Lanes * 2 / elapsed / 1e9);
        }
        return best;
    }

    // Iterations that take about `seconds` on one thread.
    private static long Calibrate(double seconds)
    {
        long iterations = 1 << 14;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            Kernel(iterations);
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (elapsed >= 0.02) return Math.Max(1, (long)(iterations * seconds / elapsed));
            iterations *= 2;
        }
    }

    // Wall-clock seconds from a common start until the last of `threads` threads is done.
    private static double RunOnThreads(int threads, long iterations)
    {
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() => { ready.SignalAndWait(); Sink(Kernel(iterations)); }) { IsBackground = true };
            workers[t].Start();
        }
        ready.SignalAndWait();
        long start = Stopwatch.GetTimestamp();
        foreach (var worker in workers) worker.Join();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static float Kernel(long iterations) =>
        Vector512.IsHardwareAccelerated ? Kernel512(iterations) : Kernel256(iterations);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Kernel512(long iterations)
    {
        var a = Vector512.Create(0.9999999f);
        var b = Vector512.Create(1e-3f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f);
        Vector512<float> c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f);
        Vector512<float> c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Kernel256(long iterations)
    {
        var a = Vector256.Create(0.9999999f);
        var b = Vector256.Create(1e-3f);
        Vector256<float> c0 = Vector256.Create(0f), c1 = Vector256.Create(1f), c2 = Vector256.Create(2f), c3 = Vector256.Create(3f);
        Vector256<float> c4 = Vector256.Create(4f), c5 = Vector256.Create(5f), c6 = Vector256.Create(6f), c7 = Vector256.Create(7f);
        Vector256<float> c8 = Vector256.Create(8f), c9 = Vector256.Create(9f), c10 = Vector256.Create(10f), c11 = Vector256.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)));
    }

    // Keeps the kernel's result observable, so the JIT cannot drop the loop.
    private static float s_sink;
    private static void Sink(float value) => Volatile.Write(ref s_sink, value);
}
