using System;
using System.Runtime.CompilerServices;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// A stride-1, zero-padded convolution without an im2col matrix. The example is copied once into a
/// buffer padded to (OD+Kd−1)×(OH+Kh−1)×(OW+Kw−1) per channel; then the column-matrix row of tap
/// (c, kd, kh, kw) is that buffer read from offset c·plane + kd·Hp·Wp + kh·Wp + kw, and output
/// position (zd, zh, zw) is column zd·Hp·Wp + zh·Wp + zw. The GEMM runs over those "wide" columns,
/// including Kw−1 (and Kh−1) columns per row that no output keeps; for the small images this is
/// used on that waste is far cheaper than writing and reading a column matrix Kd·Kh·Kw times the
/// input's size.
/// </summary>
internal readonly unsafe struct ShiftedInput
{
    public readonly nint* RowOffsets;
    public readonly int Depth, Height, Width, Plane, Columns;
    public readonly long PaddedElements;
    private readonly ConvGeometry _g;

    /// <summary>Float on an FMA path, stride 1, zero padding, and not a plain 1×1 (which needs no
    /// columns at all).</summary>
    public static bool Applies<T>(in ConvGeometry g) =>
        typeof(T) == typeof(float) && Simd.Current != SimdWidth.Portable
        && g.StrideDepth == 1 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.Mode == PaddingMode.Zeros
        && !Convolution.IsPointwise(g) && g.FilterSize <= 8192;

    // offsets: FilterSize entries, filled here.
    public ShiftedInput(in ConvGeometry g, nint* offsets)
    {
        _g = g;
        int extentD = g.DilationDepth * (g.KernelDepth - 1), extentH = g.DilationHeight * (g.KernelHeight - 1), extentW = g.DilationWidth * (g.KernelWidth - 1);
        Depth = g.OutDepth + extentD;
        Height = g.OutHeight + extentH;
        Width = g.OutWidth + extentW;
        Plane = Depth * Height * Width;
        // up to the last valid output (the rows past it would only be thrown away), rounded up to a
        // whole 512-bit vector so the dot products of backward have no scalar tail; the extra columns
        // carry zero gradient
        int valid = ((g.OutDepth - 1) * Height + g.OutHeight - 1) * Width + g.OutWidth;
        Columns = (valid + 15) / 16 * 16;
        // the last tap's view runs Columns past its offset: room for it past the last channel
        PaddedElements = (long)g.InChannels * Plane + (long)extentD * Height * Width + (long)extentH * Width + extentW + (Columns - valid) + 1;
        int k = 0;
        for (int c = 0; c < g.InChannels / g.Groups; c++)
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++)
            offsets[k++] = (nint)c * Plane + ((nint)kd * g.DilationDepth * Height + kh * g.DilationHeight) * Width + kw * g.DilationWidth;
        RowOffsets = offsets;
    }

    /// <summary>x: one example, C×D×H×W → padded (PaddedElements, the tail zeroed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pad(float* x, float* padded)
    {
        ConvGeometry g = _g;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth;
        // the input's row w lands at column w + PadWidth; a negative "padding" (cropping) never occurs
        // for zero padding in the checker's shapes, but the clamps keep the copy in range regardless
        int w0 = Math.Max(0, g.PadWidth), src0 = Math.Max(0, -g.PadWidth);
        int copy = Math.Max(0, Math.Min(iw - src0, Width - w0));
        for (int c = 0; c < g.InChannels; c++)
        for (int zd = 0; zd < Depth; zd++)
        for (int zh = 0; zh < Height; zh++)
        {
            float* dst = padded + (nint)c * Plane + ((nint)zd * Height + zh) * Width;
            int sd = zd - g.PadDepth, sh = zh - g.PadHeight;
            if ((uint)sd >= (uint)id || (uint)sh >= (uint)ih || copy == 0)
            {
                new Span<float>(dst, Width).Clear();
                continue;
            }
            float* src = x + ((nint)c * id + sd) * ih * iw + (nint)sh * iw;
            new Span<float>(dst, w0).Clear();
            new ReadOnlySpan<float>(src + src0, copy).CopyTo(new Span<float>(dst + w0, copy));
            new Span<float>(dst + w0 + copy, Width - w0 - copy).Clear();
        }
        long tail = PaddedElements - (long)g.InChannels * Plane;
        new Span<float>(padded + (nint)g.InChannels * Plane, (int)tail).Clear();
    }

    /// <summary>wide: filters × Columns → y: filters × OD×OH×OW, keeping the valid columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Extract(float* wide, int filters, float* y)
    {
        ConvGeometry g = _g;
        int ow = g.OutWidth;
        for (int f = 0; f < filters; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        {
            float* src = wide + (nint)f * Columns + ((nint)zd * Height + zh) * Width;
            float* dst = y + ((nint)f * g.OutDepth + zd) * g.OutHeight * ow + (nint)zh * ow;
            new ReadOnlySpan<float>(src, ow).CopyTo(new Span<float>(dst, ow));
        }
    }

    /// <summary>dy: filters × OD×OH×OW → wide: filters × Columns, zero in the columns no output
    /// keeps. With <paramref name="relu"/> (the fused activation's output) the derivative is applied
    /// on the way: a gradient passes only where the output is &gt; 0 or NaN, as in ReluBackward.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Widen(float* dy, float* relu, int filters, float* wide)
    {
        ConvGeometry g = _g;
        int ow = g.OutWidth;
        new Span<float>(wide, filters * Columns).Clear();
        for (int f = 0; f < filters; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        {
            nint at = ((nint)f * g.OutDepth + zd) * g.OutHeight * ow + (nint)zh * ow;
            float* dst = wide + (nint)f * Columns + ((nint)zd * Height + zh) * Width;
            if (relu == null)
            {
                new ReadOnlySpan<float>(dy + at, ow).CopyTo(new Span<float>(dst, ow));
                continue;
            }
            Epilogues.ReluGradient(new ReadOnlySpan<float>(relu + at, ow), new ReadOnlySpan<float>(dy + at, ow), new Span<float>(dst, ow));
        }
    }

    /// <summary>The adjoint of reading through the row offsets: row k of columnGradient (ck × Columns)
    /// is added into paddedGradient at RowOffsets[k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ScatterAdd(float* columnGradient, int rows, float* paddedGradient)
    {
        for (int k = 0; k < rows; k++)
            Tensors.Accumulate<float>(new ReadOnlySpan<float>(columnGradient + (nint)k * Columns, Columns), new Span<float>(paddedGradient + RowOffsets[k], Columns));
    }

    /// <summary>dx (one example, C×D×H×W) += the interior of paddedGradient (the adjoint of Pad).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void CropAdd(float* paddedGradient, float* dx)
    {
        ConvGeometry g = _g;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth;
        int w0 = Math.Max(0, g.PadWidth), src0 = Math.Max(0, -g.PadWidth);
        int copy = Math.Max(0, Math.Min(iw - src0, Width - w0));
        if (copy == 0) return;
        for (int c = 0; c < g.InChannels; c++)
        for (int zd = 0; zd < Depth; zd++)
        for (int zh = 0; zh < Height; zh++)
        {
            int sd = zd - g.PadDepth, sh = zh - g.PadHeight;
            if ((uint)sd >= (uint)id || (uint)sh >= (uint)ih) continue;
            float* src = paddedGradient + (nint)c * Plane + ((nint)zd * Height + zh) * Width + w0;
            float* dst = dx + ((nint)c * id + sd) * ih * iw + (nint)sh * iw + src0;
            Tensors.Accumulate<float>(new ReadOnlySpan<float>(src, copy), new Span<float>(dst, copy));
        }
    }
}
