using CnnDsl.Runtime.Gpu;

namespace CnnDsl.Gpu.Tests;

/// <summary>Device selection fails loudly and explains itself; disposal is clean and idempotent.</summary>
public sealed class DeviceTests
{
    [Fact]
    public void Cuda_when_absent_is_a_clear_error_and_auto_falls_back_with_a_message()
    {
        if (GpuDevice.TryOpenCuda(out var cuda, out _))
        {
            using (cuda) Assert.True(cuda!.IsCuda); // a GPU is present: nothing to fall back from
            return;
        }
        var e = Assert.Throws<GpuUnavailableException>(() => GpuDevice.Open(GpuPreference.Cuda));
        Assert.Contains("CUDA", e.Message);
        var log = new StringWriter();
        using var device = GpuDevice.Open(GpuPreference.Auto, log);
        Assert.False(device.IsCuda);
        Assert.Contains("CPU accelerator", log.ToString());
    }

    [Fact]
    public void Cpu_accelerator_opens_describes_itself_and_disposes_twice()
    {
        var device = GpuDevice.Open(GpuPreference.CpuAccelerator);
        Assert.False(device.IsCuda);
        Assert.Contains("CPU accelerator", device.Description);
        device.Dispose();
        device.Dispose();
    }
}
