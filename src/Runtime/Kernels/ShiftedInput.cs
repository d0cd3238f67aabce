using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// A zero-padded convolution without an im2col matrix. The example is copied once into a padded
/// buffer; then the column-matrix row of tap (c, kd, kh, kw) is that buffer read from the tap's
/// offset, and output position (zd, zh, zw) is column zd·Hp·Wp + zh·Wp + zw. The GEMM runs over those
/// "wide" columns, including a few per row that no output keeps; that waste is far cheaper than
/// writing and reading a column matrix Kd·Kh·Kw times the input's size.
/// With a stride s > 1 the padded positions are split into phases by their remainder mod s (per
/// axis): phase plane (pd, ph, pw) holds padded positions (zd·sd + pd, zh·sh + ph, zw·sw + pw). A tap
/// at padded offset o = q·s + r reads phase r shifted by q, so every tap is again a stride-1 view and
/// the same GEMM, backward and direct loops apply; the buffer is no larger than the padded input.
/// </summary>
internal readonly unsafe struct ShiftedInput
{
    public readonly nint* RowOffsets;
    // one phase plane's extents; Plane its size, ChannelStride one channel's phases together
    public readonly int Depth, Height, Width, Plane, Phases, ChannelStride, Columns;
    public readonly long PaddedElements;
    private readonly ConvGeometry _g;

    // offsets: FilterSize entries, filled here.
    public ShiftedInput(in ConvGeometry g, nint* offsets)
    {
        _g = g;
        int extentD = g.DilationDepth * (g.KernelDepth - 1), extentH = g.DilationHeight * (g.KernelHeight - 1), extentW = g.DilationWidth * (g.KernelWidth - 1);
        Depth = g.OutDepth + extentD / g.StrideDepth;
        Height = g.OutHeight + extentH / g.StrideHeight;
        Width = g.OutWidth + extentW / g.StrideWidth;
        Plane = Depth * Height * Width;
        Phases = g.StrideDepth * g.StrideHeight * g.StrideWidth;
        ChannelStride = Phases * Plane;
        // up to the last valid output (the rows past it would only be thrown away), rounded up to a
        // whole 512-bit vector so the dot products of backward have no scalar tail; the extra columns
        // carry zero gradient
        int valid = ((g.OutDepth - 1) * Height + g.OutHeight - 1) * Width + g.OutWidth;
        Columns = (valid + 15) / 16 * 16;
        // channel 0's taps, then every other channel's the channel stride on (computed per layer call:
        // with the phase arithmetic for every tap of every channel it was 2 % of a batch-1 forward)
        int taps = g.KernelVolume, channels = g.InChannels / g.Groups, k = 0;
        nint last = 0;
        for (int kd = 0; kd < g.KernelDepth; kd++)
        for (int kh = 0; kh < g.KernelHeight; kh++)
        for (int kw = 0; kw < g.KernelWidth; kw++)
        {
            int od = kd * g.DilationDepth, oh = kh * g.DilationHeight, ow = kw * g.DilationWidth;
            int phase = (od % g.StrideDepth * g.StrideHeight + oh % g.StrideHeight) * g.StrideWidth + ow % g.StrideWidth;
            nint offset = (nint)phase * Plane + ((nint)(od / g.StrideDepth) * Height + oh / g.StrideHeight) * Width + ow / g.StrideWidth;
            offsets[k++] = offset;
            last = Math.Max(last, offset);
        }
        for (int c = 1; c < channels; c++)
        {
            nint shift = (nint)c * ChannelStride;
            for (int t = 0; t < taps; t++) offsets[c * taps + t] = offsets[t] + shift;
        }
        last += (nint)(channels - 1) * ChannelStride;
        RowOffsets = offsets;
        // the last group's furthest view runs Columns past its offset, and the forward packing's vector
        // reads up to one vector further (WideColumns): room for them past the last channel
        PaddedElements = Math.Max((long)g.InChannels * ChannelStride, (long)(g.InChannels - channels) * ChannelStride + last + Columns + 16);
    }

    /// <summary>Where each output position lies among the wide columns.</summary>
    public WideColumns Map => new(_g.OutWidth, Width, _g.OutHeight, Height * Width);

    /// <summary>All wide columns in order, junk included: the map of a GEMM into a wide buffer.</summary>
    public WideColumns AllColumns => new(Columns, Columns, 1, Columns);

    /// <summary>Whether a forward GEMM of <paramref name="filters"/> rows should pack the outputs' columns
    /// only (<see cref="Map"/>) rather than all wide columns and copy the outputs out after. Packing
    /// run by run costs a few cycles a run, so it pays where it takes out at least a twentieth of the
    /// microkernel's strips (a 8×8 or 28×28 output, not a 14×14 one: 196 outputs take as many
    /// 32-column strips as 224 wide columns), or where output rows are long enough that most strips
    /// are one run and the copy-out pass is the saving (112×112 layers on one thread: 5-9 % faster),
    /// and the rows are many enough to repay the packing. On LeNet-5's 16-filter conv2 it lost 10 %
    /// in spite of 30 % fewer columns.</summary>
    public bool PackOutputsOnly(int filters)
    {
        const int Strip = 32;
        static double Strips(int columns) => columns / Strip + (columns % Strip == 0 ? 0 : columns % Strip <= Strip / 2 ? 0.75 : 1);
        return filters >= 64 && (Strips(_g.OutSpatial) <= 0.95 * Strips(Columns) || _g.OutWidth >= 48);
    }

    /// <summary>Whether the forward GEMM of a split example should read the views in place, row by
    /// row (<see cref="SimdGemm.BroadcastInPlace{V}"/>): 2-D, with rows that cut into whole 32-column
    /// strips and at most one vector more, which pairs with the next row's (32, 48, 64, 96, 112, 224
    /// wide; a 56-wide row would waste a quarter of its second strip, a 16-wide one would run on
    /// pairs only).</summary>
    public bool ReadsRowsInPlace =>
        Depth == 1 && _g.OutWidth >= 32 && _g.OutWidth % 32 is 0 or 16;

    /// <summary>x: one example, C×D×H×W → padded (PaddedElements, the tail zeroed).</summary>
    public void Pad(float* x, float* padded)
    {
        PadChannels(x, padded, 0, _g.InChannels);
        ClearTail(padded);
    }

    /// <summary>Channels [first, end) of <see cref="Pad"/>, so a large example can be padded on all threads.</summary>
    public void PadChannels(float* x, float* padded, int first, int end) => PadRows(x, padded, first, end, 0, Height);

    /// <summary>Rows [firstRow, endRow) of every phase plane (of every depth slice) of channels
    /// [first, end): what the outputs of a band of rows read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PadRows(float* x, float* padded, int first, int end, int firstRow, int endRow)
    {
        ConvGeometry g = _g;
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, sw = g.StrideWidth;
        bool avx512 = Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported;
        // phase column zw of width phase pw is input column zw·sw + pw − PadWidth: the ones inside are [lo, hi)
        int* range = stackalloc int[2 * sw];
        for (int pw = 0; pw < sw; pw++) ColumnRange(pw, out range[2 * pw], out range[2 * pw + 1]);
        // the width phases of one input row are written one after the other, so the row is read from
        // memory once (phase by phase, a 112² layer's input was fetched twice: 3× the time of stride 1)
        for (int c = first; c < end; c++)
        for (int rowPhase = 0; rowPhase < Phases / sw; rowPhase++)
        {
            int pd = rowPhase / g.StrideHeight, ph = rowPhase % g.StrideHeight;
            float* planes = padded + (nint)c * ChannelStride + (nint)rowPhase * sw * Plane;
            for (int zd = 0; zd < Depth; zd++)
            for (int zh = firstRow; zh < endRow; zh++)
            {
                int sd = zd * g.StrideDepth + pd - g.PadDepth, sh = zh * g.StrideHeight + ph - g.PadHeight;
                bool inside = (uint)sd < (uint)id && (uint)sh < (uint)ih;
                float* row = x + ((nint)c * id + sd) * ih * iw + (nint)sh * iw;
                for (int pw = 0; pw < sw; pw++)
                {
                    float* dst = planes + (nint)pw * Plane + ((nint)zd * Height + zh) * Width;
                    int lo = range[2 * pw], hi = range[2 * pw + 1];
                    if (!inside || hi == lo)
                    {
                        new Span<float>(dst, Width).Clear();
                        continue;
                    }
                    // the borders are a column or two: a call to clear them cost more than the row's copy
                    for (int zw = 0; zw < lo; zw++) dst[zw] = 0;
                    CopyStrided(row + (lo * sw + pw - g.PadWidth), sw, dst + lo, hi - lo, avx512);
                    for (int zw = hi; zw < Width; zw++) dst[zw] = 0;
                }
            }
        }
    }

    /// <summary>Zeroes what the last views read past the channels.</summary>
    public void ClearTail(float* padded)
    {
        long tail = PaddedElements - (long)_g.InChannels * ChannelStride;
        new Span<float>(padded + (nint)_g.InChannels * ChannelStride, (int)tail).Clear();
    }

    // dst[j] = src[j·stride] for j < count. Stride 2 (the common downsampling) can take the even
    // lanes of two vectors at a time; scalar, it was 4 % of a 224² network's forward pass.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStrided(float* src, int stride, float* dst, int count, bool avx512)
    {
        if (stride == 1)
        {
            // rows of a few dozen floats: a call to Memmove each, with its size dispatch, was half the
            // padding of a 32×32 layer
            if (avx512)
            {
                int j = 0;
                for (; j + 16 <= count; j += 16) Vector512.Load(src + j).Store(dst + j);
                if (j < count)
                {
                    var mask = Simd512.FirstLanes(count - j).AsSingle();
                    Avx512F.MaskStore(dst + j, mask, Avx512F.MaskLoad(src + j, mask, Vector512<float>.Zero));
                }
                return;
            }
            new ReadOnlySpan<float>(src, count).CopyTo(new Span<float>(dst, count));
            return;
        }
        if (stride == 2 && avx512 && count >= 16)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            // a step reads 32 elements, one past the last it keeps, so stop while that one is still in range
            int j = 0;
            for (; j + 16 < count; j += 16)
                Avx512F.PermuteVar16x32x2(Vector512.Load(src + 2 * j), even, Vector512.Load(src + 2 * j + 16)).Store(dst + j);
            // the last 16, overlapping the step before; the lane past the row's end is masked off
            j = count - 16;
            var upper = Avx512F.MaskLoad(src + 2 * j + 16, Simd512.FirstLanes(15).AsSingle(), Vector512<float>.Zero);
            Avx512F.PermuteVar16x32x2(Vector512.Load(src + 2 * j), even, upper).Store(dst + j);
            return;
        }
        for (int j = 0; j < count; j++) dst[j] = src[(nint)j * stride];
    }

    private void PhaseOf(int phase, out int pd, out int ph, out int pw)
    {
        pw = phase % _g.StrideWidth;
        ph = phase / _g.StrideWidth % _g.StrideHeight;
        pd = phase / (_g.StrideWidth * _g.StrideHeight);
    }

    // Phase columns [lo, hi) of phase pw whose input column zw·sw + pw − PadWidth is inside the row.
    private void ColumnRange(int pw, out int lo, out int hi)
    {
        int sw = _g.StrideWidth, first = pw - _g.PadWidth;
        // smallest zw with zw·sw + first ≥ 0; one past the largest with zw·sw + first ≤ iw − 1
        lo = first >= 0 ? 0 : (-first + sw - 1) / sw;
        int lastColumn = _g.InWidth - 1 - first;
        hi = lastColumn < 0 ? 0 : lastColumn / sw + 1;
        lo = Math.Min(lo, Width);
        hi = Math.Clamp(hi, lo, Width);
    }

    /// <summary>wide: filters × Columns → y: filters × OD×OH×OW, keeping the valid columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Extract(float* wide, int filters, float* y)
    {
        ConvGeometry g = _g;
        int ow = g.OutWidth;
        bool avx512 = Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported;
        for (int f = 0; f < filters; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        {
            float* src = wide + (nint)f * Columns + ((nint)zd * Height + zh) * Width;
            float* dst = y + ((nint)f * g.OutDepth + zd) * g.OutHeight * ow + (nint)zh * ow;
            // vectors, not a Memmove call per row: those were 5 % of a 14² layer's forward
            CopyStrided(src, 1, dst, ow, avx512);
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
        bool avx512 = Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported;
        // in 2-D every column is an output's or in the gap after its row, zeroed row by row below;
        // 3-D layers have whole gap rows between depth slices
        bool rowsOnly = g.OutDepth == 1;
        if (!rowsOnly) new Span<float>(wide, filters * Columns).Clear();
        for (int f = 0; f < filters; f++)
        for (int zd = 0; zd < g.OutDepth; zd++)
        for (int zh = 0; zh < g.OutHeight; zh++)
        {
            nint at = ((nint)f * g.OutDepth + zd) * g.OutHeight * ow + (nint)zh * ow;
            float* dst = wide + (nint)f * Columns + ((nint)zd * Height + zh) * Width;
            // rows of a few dozen floats: a Memmove call per row was most of a 28² layer's weight gradient
            if (relu == null) CopyStrided(dy + at, 1, dst, ow, avx512);
            else ReluGradientRow(relu + at, dy + at, dst, ow, avx512);
            if (!rowsOnly) continue;
            int gapEnd = zh == g.OutHeight - 1 ? Columns - zh * Width : Width;
            for (int j = ow; j < gapEnd; j++) dst[j] = 0;
        }
    }

    // dst = dy where the relu output y passed it (y > 0 or NaN), else 0, for count elements.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReluGradientRow(float* y, float* dy, float* dst, int count, bool avx512)
    {
        if (!avx512)
        {
            Epilogues.ReluGradient(new ReadOnlySpan<float>(y, count), new ReadOnlySpan<float>(dy, count), new Span<float>(dst, count));
            return;
        }
        int j = 0;
        for (; j + 16 <= count; j += 16)
            Vector512.ConditionalSelect(~Vector512.LessThanOrEqual(Vector512.Load(y + j), Vector512<float>.Zero), Vector512.Load(dy + j), Vector512<float>.Zero).Store(dst + j);
        if (j == count) return;
        var mask = Simd512.FirstLanes(count - j).AsSingle();
        var passed = ~Vector512.LessThanOrEqual(Avx512F.MaskLoad(y + j, mask, Vector512<float>.Zero), Vector512<float>.Zero);
        Avx512F.MaskStore(dst + j, mask, Vector512.ConditionalSelect(passed, Avx512F.MaskLoad(dy + j, mask, Vector512<float>.Zero), Vector512<float>.Zero));
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
        int id = g.InDepth, ih = g.InHeight, iw = g.InWidth, sw = g.StrideWidth;
        bool avx512 = Simd.Current == SimdWidth.Vector512 && Avx512F.IsSupported;
        for (int c = 0; c < g.InChannels; c++)
        for (int phase = 0; phase < Phases; phase++)
        {
            PhaseOf(phase, out int pd, out int ph, out int pw);
            ColumnRange(pw, out int lo, out int hi);
            if (hi == lo) continue;
            float* plane = paddedGradient + (nint)c * ChannelStride + (nint)phase * Plane;
            for (int zd = 0; zd < Depth; zd++)
            for (int zh = 0; zh < Height; zh++)
            {
                int sd = zd * g.StrideDepth + pd - g.PadDepth, sh = zh * g.StrideHeight + ph - g.PadHeight;
                if ((uint)sd >= (uint)id || (uint)sh >= (uint)ih) continue;
                float* src = plane + ((nint)zd * Height + zh) * Width + lo;
                float* dst = dx + ((nint)c * id + sd) * ih * iw + (nint)sh * iw + (lo * sw + pw - g.PadWidth);
                if (sw == 1) AddRow(src, dst, hi - lo, avx512);
                else for (int zw = lo; zw < hi; zw++, dst += sw) *dst += *src++;
            }
        }
    }

    // dst += src over count floats. Rows of a dozen or two: an Axpy call per row, with its scalar
    // tail, was 3 % of a 14² layer's backward.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* src, float* dst, int count, bool avx512)
    {
        if (!avx512)
        {
            Tensors.Accumulate<float>(new ReadOnlySpan<float>(src, count), new Span<float>(dst, count));
            return;
        }
        int j = 0;
        for (; j + 16 <= count; j += 16) (Vector512.Load(dst + j) + Vector512.Load(src + j)).Store(dst + j);
        if (j == count) return;
        var mask = Simd512.FirstLanes(count - j).AsSingle();
        Avx512F.MaskStore(dst + j, mask, Avx512F.MaskLoad(dst + j, mask, Vector512<float>.Zero) + Avx512F.MaskLoad(src + j, mask, Vector512<float>.Zero));
    }
}
