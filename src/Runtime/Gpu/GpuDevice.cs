using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace CnnDsl.Runtime.Gpu;

/// <summary>Which accelerator <see cref="GpuDevice.Open"/> uses.</summary>
public enum GpuPreference
{
    /// <summary>CUDA when a device is present, otherwise ILGPU's CPU accelerator (with a message).</summary>
    Auto,
    /// <summary>The first CUDA device; throws <see cref="GpuUnavailableException"/> when there is none.</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator: runs the GPU kernels on CPU threads (slow; for tests).</summary>
    CpuAccelerator,
}

/// <summary>No CUDA device could be used; the message says why.</summary>
public sealed class GpuUnavailableException : Exception
{
    public GpuUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// An ILGPU context and one accelerator, chosen explicitly (never <c>GetPreferredDevice</c>).
/// Disposing it disposes the accelerator, then the context; dispose the models on it first.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private static int s_resolverInstalled;
    private bool _disposed;

    private GpuDevice(Context context, Accelerator accelerator, string description)
    {
        Context = context;
        Accelerator = accelerator;
        Description = description;
    }

    /// <summary>The ILGPU context (advanced use).</summary>
    public Context Context { get; }

    /// <summary>The ILGPU accelerator (advanced use).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>True for a real CUDA GPU, false for ILGPU's CPU accelerator.</summary>
    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>Device name, architecture, PTX ISA and driver version (CUDA) or the CPU accelerator's shape.</summary>
    public string Description { get; }

    public override string ToString() => Description;

    /// <summary>
    /// Opens a device. <see cref="GpuPreference.Cuda"/> fails loudly (with the reason) when no CUDA device
    /// can be used; <see cref="GpuPreference.Auto"/> writes that reason to <paramref name="log"/> (stderr by
    /// default) and opens the CPU accelerator instead. A caller that prefers the generated CPU code over
    /// the CPU accelerator uses <see cref="TryOpenCuda"/>.
    /// </summary>
    public static GpuDevice Open(GpuPreference preference = GpuPreference.Auto, TextWriter? log = null)
    {
        if (preference == GpuPreference.CpuAccelerator) return OpenCpuAccelerator();
        if (TryOpenCuda(out var device, out string reason)) return device!;
        if (preference == GpuPreference.Cuda) throw new GpuUnavailableException(reason);
        (log ?? Console.Error).WriteLine($"CnnDsl GPU: {reason} Using ILGPU's CPU accelerator (slow).");
        return OpenCpuAccelerator();
    }

    /// <summary>Opens the first CUDA device, or returns false with the reason (no driver, no device, …).</summary>
    public static bool TryOpenCuda(out GpuDevice? device, out string reason)
    {
        device = null;
        InstallCudaResolver();
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O1));
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                context.Dispose();
                reason = "No CUDA device found (libcuda could not be loaded or the driver reports no GPU).";
                return false;
            }
            var cuda = devices[0];
            var accelerator = cuda.CreateCudaAccelerator(context);
            string description = $"{cuda.Name} (CUDA, {cuda.Architecture}, PTX ISA {cuda.InstructionSet}, driver {cuda.DriverVersion}, {cuda.MemorySize / (1 << 20)} MiB)";
            device = new GpuDevice(context, accelerator, description);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            context?.Dispose();
            reason = $"CUDA is not usable: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>ILGPU's CPU accelerator (one OS thread per simulated GPU thread).</summary>
    public static GpuDevice OpenCpuAccelerator()
    {
        var context = Context.Create(b => b.CPU().EnableAlgorithms());
        try
        {
            var accelerator = context.CreateCPUAccelerator(0);
            return new GpuDevice(context, accelerator, $"ILGPU CPU accelerator ({accelerator.MaxNumThreadsPerGroup} threads per group)");
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ILGPU imports "cuda"; .NET probes libcuda.so, which only the toolkit's dev package provides. The
    /// driver ships libcuda.so.1, so try that (and the container path) first.
    /// </summary>
    private static void InstallCudaResolver()
    {
        if (System.Threading.Interlocked.Exchange(ref s_resolverInstalled, 1) != 0) return;
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // ILGPU installed its own (WSL); keep it.
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not ("cuda" or "nvcuda" or "libcuda" or "libcuda.so")) return IntPtr.Zero;
        foreach (string candidate in new[] { "libcuda.so.1", "libcuda.so", "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1" })
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>Disposes the accelerator, then the context (buffers belong to models: dispose those first).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Accelerator.Dispose();
        Context.Dispose();
    }
}
