using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// The threads the kernels share: <see cref="ComputeThreads.Count"/> − 1 background workers plus the
/// calling thread. A job is a function pointer and a pointer to a context struct on the caller's
/// stack, so starting one allocates nothing. Items are handed out through one atomic counter, which
/// keeps both cores busy on a noisy machine where a static split would wait for the slower one.
/// Workers spin briefly after a job (the next layer's job usually follows within microseconds) and
/// then sleep on a monitor.
/// </summary>
internal static unsafe class WorkerPool
{
    // ≈ 0.5 ms of spinning before a worker sleeps: longer than the gap between two layers of a step.
    private const int SpinRounds = 1500;

    private static readonly object s_gate = new();
    private static readonly object s_run = new();
    private static readonly byte[]?[] s_scratch = new byte[]?[ComputeThreads.MaxCount];
    // Worker 0 is whichever thread calls a kernel: two models used from two threads must not share it.
    [ThreadStatic] private static byte[]? t_callerScratch;
    private static int s_workers;
    private static volatile int s_generation;
    private static delegate*<void*, int, int, void> s_body;
    private static void* s_context;
    private static int s_count, s_next, s_active, s_participants;
    private static Exception? s_error;

    /// <summary>Threads that would run a job of <paramref name="items"/> items now.</summary>
    public static int ThreadsFor(int items) => Math.Max(1, Math.Min(ComputeThreads.Count, items));

    /// <summary>Runs <c>body(context, item, worker)</c> for every item in [0, count); worker is in
    /// [0, ThreadsFor(count)). Returns when all items are done. A call made while another thread's
    /// job is running (two models used from two threads) runs on the calling thread alone.</summary>
    public static void For(int count, delegate*<void*, int, int, void> body, void* context)
    {
        int threads = ThreadsFor(count);
        SimdGemm.ReservePanel();
        if (threads == 1 || !Monitor.TryEnter(s_run))
        {
            for (int i = 0; i < count; i++) body(context, i, 0);
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            s_body = body;
            s_context = context;
            s_count = count;
            s_next = 0;
            s_error = null;
            s_participants = threads - 1;
            s_active = threads - 1;
            lock (s_gate)
            {
                s_generation++;
                Monitor.PulseAll(s_gate);
            }
            Drain(0);
            var spin = new SpinWait();
            while (Volatile.Read(ref s_active) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (s_error is { } error) throw new InvalidOperationException("A kernel failed on a worker thread.", error);
        }
        finally
        {
            Monitor.Exit(s_run);
        }
    }

    /// <summary>A worker's private scratch of at least <paramref name="elements"/> elements, pinned so
    /// kernels can hold a pointer to it; grown (once) when a larger layer asks, never per step.</summary>
    public static T* Scratch<T>(int worker, long elements) where T : unmanaged
    {
        long bytes = Math.Max(1, elements) * sizeof(T);
        byte[]? buffer = worker == 0 ? t_callerScratch : s_scratch[worker];
        if (buffer is null || buffer.Length < bytes)
        {
            if (bytes > Array.MaxLength) throw new InvalidOperationException($"A kernel needs {bytes:N0} bytes of scratch, more than an array can hold.");
            buffer = GC.AllocateUninitializedArray<byte>((int)bytes, pinned: true);
            if (worker == 0) t_callerScratch = buffer;
            else s_scratch[worker] = buffer;
        }
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
    }

    private static void Drain(int worker)
    {
        var body = s_body;
        void* context = s_context;
        int count = s_count;
        int item;
        while ((item = Interlocked.Increment(ref s_next) - 1) < count) body(context, item, worker);
    }

    private static void EnsureWorkers(int wanted)
    {
        while (s_workers < wanted)
        {
            int id = ++s_workers;
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"CnnDsl kernel worker {id}" };
            // the worker must count jobs from now on: one started below this call's generation bump
            thread.Start(((long)id << 32) | (uint)s_generation);
        }
    }

    private static void WorkerLoop(object? state)
    {
        long packed = (long)state!;
        int id = (int)(packed >> 32);
        int seen = (int)packed;
        SimdGemm.ReservePanel();
        while (true)
        {
            for (int round = 0; round < SpinRounds && s_generation == seen; round++) Thread.SpinWait(20);
            if (s_generation == seen)
            {
                lock (s_gate)
                {
                    while (s_generation == seen) Monitor.Wait(s_gate);
                }
            }
            seen = s_generation;
            if (id > s_participants) continue;
            try
            {
                Drain(id);
            }
            catch (Exception e)
            {
                s_error ??= e;
            }
            Interlocked.Decrement(ref s_active);
        }
    }
}
