using System;
using System.Diagnostics;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Convolution (cross-correlation, PyTorch semantics) as im2col + GEMM, one example and one group
/// at a time so the workspace is independent of the batch size.
/// </summary>
public static class Convolution
{
    // Elements of scratch the caller provides: one example-group im2col matrix,
    // (C/g·Kd·Kh·Kw) × (OD·OH·OW). Backward reuses the same buffer for the column gradient.
    public static int WorkspaceSize(in ConvGeometry g) => g.FilterSize * g.OutSpatial;

    // A 1×1 kernel with stride 1 and no padding reads the input itself as its column matrix.
    private static bool IsPointwise(in ConvGeometry g) =>
        g.KernelVolume == 1 && g.StrideDepth == 1 && g.StrideHeight == 1 && g.StrideWidth == 1
        && g.PadDepth == 0 && g.PadHeight == 0 && g.PadWidth == 0
        && g.InDepth == g.OutDepth && g.InHeight == g.OutHeight && g.InWidth == g.OutWidth;

    // input: N×C×D×H×W, weight: F×(C/g)×Kd×Kh×Kw, bias: F or empty, output: N×F×OD×OH×OW (overwritten),
    // workspace: WorkspaceSize(g).
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<T> output, Span<T> workspace, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = g.Groups, cg = g.InChannels / groups, fg = g.OutChannels / groups;
        int ck = g.FilterSize, p = g.OutSpatial, inSpatial = g.InSpatial;
        bool pointwise = IsPointwise(g);
        Debug.Assert(pointwise || workspace.Length >= ck * p);
        for (int n = 0; n < batch; n++)
        {
            for (int gi = 0; gi < groups; gi++)
            {
                ReadOnlySpan<T> x = input.Slice((n * g.InChannels + gi * cg) * inSpatial, cg * inSpatial);
                ReadOnlySpan<T> col = x;
                if (!pointwise)
                {
                    Im2Col(x, workspace, cg, g);
                    col = workspace.Slice(0, ck * p);
                }
                Span<T> y = output.Slice((n * g.OutChannels + gi * fg) * p, fg * p);
                // the GEMM accumulates, so seed each output row with its bias (or zero)
                for (int f = 0; f < fg; f++)
                    y.Slice(f * p, p).Fill(bias.IsEmpty ? T.Zero : bias[gi * fg + f]);
                Gemm.Broadcast(fg, p, ck, weight.Slice(gi * fg * ck, fg * ck), ck, 1, col, p, y, p);
            }
        }
    }

    // input, weight: as Forward; outputGradient: N×F×OD×OH×OW.
    // inputGradient: N×C×D×H×W or empty (skip), weightGradient: like weight, biasGradient: F or empty.
    // All gradients accumulate. workspace: WorkspaceSize(g).
    public static void Backward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> workspace, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int groups = g.Groups, cg = g.InChannels / groups, fg = g.OutChannels / groups;
        int ck = g.FilterSize, p = g.OutSpatial, inSpatial = g.InSpatial;
        bool pointwise = IsPointwise(g);
        Debug.Assert(pointwise || workspace.Length >= ck * p);
        for (int n = 0; n < batch; n++)
        {
            for (int gi = 0; gi < groups; gi++)
            {
                ReadOnlySpan<T> dy = outputGradient.Slice((n * g.OutChannels + gi * fg) * p, fg * p);
                ReadOnlySpan<T> w = weight.Slice(gi * fg * ck, fg * ck);
                if (!biasGradient.IsEmpty)
                    for (int f = 0; f < fg; f++)
                        biasGradient[gi * fg + f] += Gemm.Sum(dy.Slice(f * p, p));

                if (!weightGradient.IsEmpty)
                {
                    ReadOnlySpan<T> x = input.Slice((n * g.InChannels + gi * cg) * inSpatial, cg * inSpatial);
                    ReadOnlySpan<T> col = x;
                    if (!pointwise)
                    {
                        Im2Col(x, workspace, cg, g);
                        col = workspace.Slice(0, ck * p);
                    }
                    // dW (fg×ck) += dY (fg×p) · colᵀ
                    Gemm.Dot(fg, ck, p, dy, p, col, p, weightGradient.Slice(gi * fg * ck, fg * ck), ck);
                }

                if (!inputGradient.IsEmpty)
                {
                    Span<T> dx = inputGradient.Slice((n * g.InChannels + gi * cg) * inSpatial, cg * inSpatial);
                    // dcol (ck×p) = Wᵀ (ck×fg) · dY (fg×p); pointwise columns are the input itself
                    if (pointwise)
                    {
                        Gemm.Broadcast(ck, p, fg, w, 1, ck, dy, p, dx, p);
                    }
                    else
                    {
                        Span<T> dcol = workspace.Slice(0, ck * p);
                        dcol.Clear();
                        Gemm.Broadcast(ck, p, fg, w, 1, ck, dy, p, dcol, p);
                        Col2Im(dcol, dx, cg, g);
                    }
                }
            }
        }
    }

    // x: channels×D×H×W of one example-group → col: (channels·Kd·Kh·Kw) × (OD·OH·OW),
    // row index ((c·Kd + kd)·Kh + kh)·Kw + kw to match the weight layout.
    internal static void Im2Col<T>(ReadOnlySpan<T> x, Span<T> col, int channels, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int od = g.OutDepth, oh = g.OutHeight, ow = g.OutWidth, p = g.OutSpatial;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, inSpatial = g.InSpatial;
        PaddingMode mode = g.Mode;
        int row = 0;
        for (int c = 0; c < channels; c++)
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++, row++)
        {
            int wOffset = kw * g.DilationWidth - g.PadWidth;
            WidthRange(wOffset, g.StrideWidth, ow, iw, out int owLo, out int owHi);
            for (int zd = 0; zd < od; zd++)
            {
                int sd = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, id, mode);
                for (int zh = 0; zh < oh; zh++)
                {
                    Span<T> dst = col.Slice(row * p + (zd * oh + zh) * ow, ow);
                    int sh = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, ih, mode);
                    if (sd < 0 || sh < 0) { dst.Clear(); continue; }
                    ReadOnlySpan<T> src = x.Slice(c * inSpatial + (sd * ih + sh) * iw, iw);
                    // borders go through the padding map; the interior is a plain (strided) copy
                    for (int zw = 0; zw < owLo; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        dst[zw] = sw < 0 ? T.Zero : src[sw];
                    }
                    if (g.StrideWidth == 1)
                    {
                        if (owHi > owLo) src.Slice(owLo + wOffset, owHi - owLo).CopyTo(dst.Slice(owLo, owHi - owLo));
                    }
                    else
                    {
                        for (int zw = owLo; zw < owHi; zw++) dst[zw] = src[zw * g.StrideWidth + wOffset];
                    }
                    for (int zw = Math.Max(owHi, owLo); zw < ow; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        dst[zw] = sw < 0 ? T.Zero : src[sw];
                    }
                }
            }
        }
    }

    // The adjoint of Im2Col: every column entry is added back to the input element it was read from
    // (for non-zero padding modes that is the mapped in-range element). dx accumulates.
    internal static void Col2Im<T>(ReadOnlySpan<T> col, Span<T> dx, int channels, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int od = g.OutDepth, oh = g.OutHeight, ow = g.OutWidth, p = g.OutSpatial;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, inSpatial = g.InSpatial;
        PaddingMode mode = g.Mode;
        int row = 0;
        for (int c = 0; c < channels; c++)
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++, row++)
        {
            int wOffset = kw * g.DilationWidth - g.PadWidth;
            WidthRange(wOffset, g.StrideWidth, ow, iw, out int owLo, out int owHi);
            for (int zd = 0; zd < od; zd++)
            {
                int sd = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, id, mode);
                for (int zh = 0; zh < oh; zh++)
                {
                    int sh = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, ih, mode);
                    if (sd < 0 || sh < 0) continue;
                    ReadOnlySpan<T> src = col.Slice(row * p + (zd * oh + zh) * ow, ow);
                    Span<T> dst = dx.Slice(c * inSpatial + (sd * ih + sh) * iw, iw);
                    for (int zw = 0; zw < owLo; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        if (sw >= 0) dst[sw] += src[zw];
                    }
                    for (int zw = owLo; zw < owHi; zw++) dst[zw * g.StrideWidth + wOffset] += src[zw];
                    for (int zw = Math.Max(owHi, owLo); zw < ow; zw++)
                    {
                        int sw = Padding.Map(zw * g.StrideWidth + wOffset, iw, mode);
                        if (sw >= 0) dst[sw] += src[zw];
                    }
                }
            }
        }
    }

    // Output columns [lo, hi) whose input column zw·stride + offset lies inside [0, width).
    private static void WidthRange(int offset, int stride, int outWidth, int width, out int lo, out int hi)
    {
        // smallest zw with zw·stride + offset ≥ 0
        lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        // largest zw with zw·stride + offset ≤ width - 1, plus one
        int last = width - 1 - offset;
        hi = last < 0 ? 0 : last / stride + 1;
        lo = Math.Min(lo, outWidth);
        hi = Math.Min(hi, outWidth);
        if (hi < lo) hi = lo;
    }
}

/// <summary>
/// Direct-loop convolution: slow and obviously correct, the oracle the tests check
/// <see cref="Convolution"/> against. Not for use by generated models.
/// </summary>
public static class ConvolutionReference
{
    // input: N×C×D×H×W, weight: F×(C/g)×Kd×Kh×Kw, bias: F or empty, output: N×F×OD×OH×OW (overwritten).
    public static void Forward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<T> output, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups;
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < g.OutChannels; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        for (int zw = 0; zw < g.OutWidth; zw++)
        {
            T sum = bias.IsEmpty ? T.Zero : bias[f];
            for (int c = 0; c < cg; c++)
            for (int kd = 0; kd < g.KernelDepth; kd++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int xi = InputIndex(n, f / fg * cg + c, zd, zh, zw, kd, kh, kw, g);
                if (xi < 0) continue;
                sum += input[xi] * weight[WeightIndex(f, c, kd, kh, kw, g)];
            }
            output[OutputIndex(n, f, zd, zh, zw, g)] = sum;
        }
    }

    // Shapes as Forward; every gradient accumulates; an empty gradient span is skipped.
    public static void Backward<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> outputGradient,
        Span<T> inputGradient, Span<T> weightGradient, Span<T> biasGradient, int batch, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cg = g.InChannels / g.Groups, fg = g.OutChannels / g.Groups;
        for (int n = 0; n < batch; n++)
        for (int f = 0; f < g.OutChannels; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        for (int zw = 0; zw < g.OutWidth; zw++)
        {
            T dy = outputGradient[OutputIndex(n, f, zd, zh, zw, g)];
            if (!biasGradient.IsEmpty) biasGradient[f] += dy;
            for (int c = 0; c < cg; c++)
            for (int kd = 0; kd < g.KernelDepth; kd++)
            for (int kh = 0; kh < g.KernelHeight; kh++)
            for (int kw = 0; kw < g.KernelWidth; kw++)
            {
                int xi = InputIndex(n, f / fg * cg + c, zd, zh, zw, kd, kh, kw, g);
                if (xi < 0) continue;
                int wi = WeightIndex(f, c, kd, kh, kw, g);
                if (!inputGradient.IsEmpty) inputGradient[xi] += weight[wi] * dy;
                if (!weightGradient.IsEmpty) weightGradient[wi] += input[xi] * dy;
            }
        }
    }

    // Flat index of the input element that output (zd, zh, zw) reads through kernel tap (kd, kh, kw),
    // or -1 where it reads zero padding.
    private static int InputIndex(int n, int c, int zd, int zh, int zw, int kd, int kh, int kw, in ConvGeometry g)
    {
        int d = Padding.Map(zd * g.StrideDepth - g.PadDepth + kd * g.DilationDepth, g.InDepth, g.Mode);
        int h = Padding.Map(zh * g.StrideHeight - g.PadHeight + kh * g.DilationHeight, g.InHeight, g.Mode);
        int w = Padding.Map(zw * g.StrideWidth - g.PadWidth + kw * g.DilationWidth, g.InWidth, g.Mode);
        if (d < 0 || h < 0 || w < 0) return -1;
        return (((n * g.InChannels + c) * g.InDepth + d) * g.InHeight + h) * g.InWidth + w;
    }

    private static int WeightIndex(int f, int c, int kd, int kh, int kw, in ConvGeometry g) =>
        (((f * (g.InChannels / g.Groups) + c) * g.KernelDepth + kd) * g.KernelHeight + kh) * g.KernelWidth + kw;

    private static int OutputIndex(int n, int f, int zd, int zh, int zw, in ConvGeometry g) =>
        (((n * g.OutChannels + f) * g.OutDepth + zd) * g.OutHeight + zh) * g.OutWidth + zw;
}
