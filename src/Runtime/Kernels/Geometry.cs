namespace CnnDsl.Runtime.Kernels;

/// <summary>How a convolution reads input coordinates that fall outside the input.</summary>
public enum PaddingMode
{
    /// <summary>Out-of-range reads are zero.</summary>
    Zeros,
    /// <summary>Mirror without repeating the edge (PyTorch 'reflect'): -1 reads 1.</summary>
    Reflect,
    /// <summary>Clamp to the nearest edge.</summary>
    Replicate,
    /// <summary>Wrap around (periodic).</summary>
    Circular,
}

// Every spatial kernel sees its input as D×H×W: a 1-D signal of length L is (1, 1, L) and a 2-D
// image is (1, H, W). Pad* are the paddings BEFORE each axis; the padding after is whatever the
// output size implies, so TF-style `same` (extra pixel at the end) needs no extra field.
public readonly record struct ConvGeometry(
    int InChannels, int InDepth, int InHeight, int InWidth,
    int OutChannels, int OutDepth, int OutHeight, int OutWidth,
    int KernelDepth, int KernelHeight, int KernelWidth,
    int StrideDepth, int StrideHeight, int StrideWidth,
    int DilationDepth, int DilationHeight, int DilationWidth,
    int PadDepth, int PadHeight, int PadWidth,
    int Groups, PaddingMode Mode)
{
    public int InSpatial => InDepth * InHeight * InWidth;
    public int OutSpatial => OutDepth * OutHeight * OutWidth;
    public int KernelVolume => KernelDepth * KernelHeight * KernelWidth;
    /// <summary>Elements of one filter: (C/g)·Kd·Kh·Kw.</summary>
    public int FilterSize => InChannels / Groups * KernelVolume;

    /// <summary>The shape the kernels' rules (KernelLimits.cs, shared with the planner) read.</summary>
    internal CnnDsl.Planning.ConvShape Shape => new(InChannels, InDepth, InHeight, InWidth, OutChannels, OutDepth, OutHeight, OutWidth,
        KernelDepth, KernelHeight, KernelWidth, StrideDepth, StrideHeight, StrideWidth, DilationDepth, DilationHeight, DilationWidth,
        PadDepth, PadHeight, PadWidth, Groups, Mode == PaddingMode.Zeros);
}

public readonly record struct PoolGeometry(
    int Channels, int InDepth, int InHeight, int InWidth, int OutDepth, int OutHeight, int OutWidth,
    int KernelDepth, int KernelHeight, int KernelWidth, int StrideDepth, int StrideHeight, int StrideWidth,
    int PadDepth, int PadHeight, int PadWidth)
{
    public int InSpatial => InDepth * InHeight * InWidth;
    public int OutSpatial => OutDepth * OutHeight * OutWidth;
    public int KernelVolume => KernelDepth * KernelHeight * KernelWidth;
}

public readonly record struct AdaptivePoolGeometry(int Channels, int InDepth, int InHeight, int InWidth, int OutDepth, int OutHeight, int OutWidth)
{
    public int InSpatial => InDepth * InHeight * InWidth;
    public int OutSpatial => OutDepth * OutHeight * OutWidth;
}

/// <summary>Maps an input coordinate of a padded axis to the element it reads.</summary>
public static class Padding
{
    // i: coordinate in the unpadded axis of length n (may be negative or ≥ n).
    // Returns the in-range coordinate that padding mode reads, or -1 for a zero (Zeros mode).
    // Reflect and Circular loop so that pads wider than the axis still land in range
    // (PyTorch rejects those; we prefer a defined answer to an exception on the hot path).
    public static int Map(int i, int n, PaddingMode mode)
    {
        if ((uint)i < (uint)n) return i;
        switch (mode)
        {
            case PaddingMode.Zeros:
                return -1;
            case PaddingMode.Replicate:
                return i < 0 ? 0 : n - 1;
            case PaddingMode.Circular:
                i %= n;
                return i < 0 ? i + n : i;
            default:
                if (n == 1) return 0;
                // reflection is periodic with period 2(n-1)
                int period = 2 * (n - 1);
                i %= period;
                if (i < 0) i += period;
                return i < n ? i : period - i;
        }
    }
}
