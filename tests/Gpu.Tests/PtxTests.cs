using System.Reflection;
using CnnDsl.Runtime.Gpu;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit.Abstractions;

namespace CnnDsl.Gpu.Tests;

/// <summary>
/// Every GPU kernel compiles to PTX for sm_90 (H100) with ISA 8.8, without a GPU: proof that the kernel
/// code is valid device code (ILGPU rejects classes, throws, runtime arrays … only when compiling for a GPU).
/// </summary>
public sealed class PtxTests(ITestOutputHelper output)
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var method in KernelMethods()) data.Add(method.Name);
        return data;
    }

    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(GpuKernels).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.GetParameters().FirstOrDefault()?.ParameterType == typeof(Index1D))
            .OrderBy(m => m.Name, StringComparer.Ordinal);

    [Fact]
    public void Every_layer_kind_has_kernels()
    {
        Assert.True(KernelMethods().Count() >= 30, $"{KernelMethods().Count()} kernels");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_PTX_for_sm_90(string name)
    {
        var method = KernelMethods().Single(m => m.Name == name);
        // a fresh Context per kernel: one failed compile poisons a context
        using var context = Context.Create(b => b.EnableAlgorithms());
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null!);
        var kernel = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), new KernelSpecialization());
        // ILGPU 1.5.3 writes ISA 8.8 and caps the .target line at sm_80 for an SM_90 backend (checked
        // here); sm_80 PTX is JIT-compiled by the driver for sm_90.
        Assert.Contains(".version 8.8", kernel.PTXAssembly);
        Assert.Matches(@"\.target\s+sm_(80|90)", kernel.PTXAssembly);
        Assert.Contains(".entry", kernel.PTXAssembly);
        output.WriteLine($"{name}: {kernel.PTXAssembly.Length} characters of PTX");
    }
}
