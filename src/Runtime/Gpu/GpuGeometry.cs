using System;

namespace CnnDsl.Runtime.Gpu;

/// <summary>
/// Every compile-time fact one GPU layer kernel needs, in one value. Kernels take it as
/// <c>SpecializedValue&lt;GpuGeometry&gt;</c>, so ILGPU compiles one kernel per distinct geometry with
/// every field a constant in the PTX (loop bounds, strides, padding mode, activation, epsilon …).
/// Spatial tensors are seen as D×H×W (1-D: 1×1×L, 2-D: 1×H×W). Fields a kind does not use stay 0.
/// </summary>
public record struct GpuGeometry
{
    // input: C×D×H×W, output: F×OD×OH×OW (per example)
    public int C, D, H, W;
    public int F, OD, OH, OW;
    public int KD, KH, KW;
    public int SD, SH, SW;
    public int DD, DH, DW;
    public int PD, PH, PW;
    /// <summary>Convolution groups (depthwise: groups = C).</summary>
    public int Groups;
    /// <summary>0 zeros, 1 reflect, 2 replicate, 3 circular (as <see cref="Kernels.PaddingMode"/>).</summary>
    public int Mode;
    public int HasBias;
    /// <summary>The function of an activation layer, or a conv or dense forward's fused relu: see <see cref="GpuActivation"/>.</summary>
    public int Act;
    /// <summary>Maxout group size.</summary>
    public int GroupSize;
    /// <summary>Concat: first output channel of this input, and the output's channel count.</summary>
    public int ChannelOffset, TotalChannels;
    /// <summary>Elements per example of the input and the output.</summary>
    public int InElements, OutElements;
    /// <summary>leakyrelu slope, elu alpha, dropout rate.</summary>
    public float Alpha;
    public float Eps, Momentum;
    /// <summary>lppool p.</summary>
    public float Norm;

    public readonly int InSpatial => D * H * W;
    public readonly int OutSpatial => OD * OH * OW;
    public readonly int KernelVolume => KD * KH * KW;
}

/// <summary>The activation an activation kernel (or a fused epilogue) applies.</summary>
public static class GpuActivation
{
    public const int Relu = 1, LeakyRelu = 2, Elu = 3, Sigmoid = 4, Tanh = 5;
}

