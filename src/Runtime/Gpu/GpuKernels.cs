using System;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace CnnDsl.Runtime.Gpu;

/// <summary>Scalar settings of one SGD step (changes per step, so a plain kernel argument).</summary>
public struct SgdArgs
{
    public float LearningRate, WeightDecay, Momentum, Keep;
    public int Nesterov, First;
}

/// <summary>Scalar settings of one Adam/AdamW step.</summary>
public struct AdamArgs
{
    public float Beta1, Beta2, Epsilon, L2, Shrink, StepSize, InvSqrtBc2;
}

/// <summary>
/// The ILGPU kernels of every layer kind, forward and backward, written once. Each takes its layer's
/// <see cref="GpuGeometry"/> as a <see cref="SpecializedValue{T}"/>: ILGPU compiles one instance per layer
/// with every shape a constant. One thread per output element (or per gradient element); gradients
/// accumulate (<c>+=</c>) into buffers the driver zeroes once per step, with float atomics where several
/// threads hit one element (overlapping windows, per-example partial weight gradients).
/// Semantics are exactly those of <c>CnnDsl.Runtime.Kernels</c> (the CPU reference).
/// </summary>
public static class GpuKernels
{
    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>Padding.Map of the CPU kernels: in-range coordinate read for i, or −1 for a zero.</summary>
    public static int MapPad(int i, int n, int mode)
    {
        if (i >= 0 && i < n) return i;
        if (mode == 0) return -1;
        if (mode == 2) return i < 0 ? 0 : n - 1;
        if (mode == 3)
        {
            i %= n;
            return i < 0 ? i + n : i;
        }
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }

    #pragma warning disable CS1718 // NaN test that ILGPU compiles to one comparison
    private static bool IsNaN(float v) => v != v;
#pragma warning restore CS1718

    /// <summary>Relu applied at the end of a fused conv/dense forward (NaN passes, as the CPU relu).</summary>
    private static float Activate(in GpuGeometry g, float v) =>
        g.Act == GpuActivation.Relu ? (v > 0f ? v : (IsNaN(v) ? v : 0f)) : v;

    /// <summary>The gradient a fused conv/dense sees at output o: dy of the fused relu masked by its
    /// output (relu backward: passes where !(y ≤ 0)), or dy itself when nothing is fused.</summary>
    private static float Grad(in GpuGeometry g, ArrayView<float> dy, ArrayView<float> y, int o) =>
        g.Act == GpuActivation.Relu ? (!(y[o] <= 0f) ? dy[o] : 0f) : dy[o];

    // ---- convolution -------------------------------------------------------------------------

    /// <summary>y[n,f,o] = act(b[f] + Σ w·x), one thread per output element (N·F·OS); act is a fused relu or none.</summary>
    public static void ConvForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        int ow = i % g.OW, t = i / g.OW, oh = t % g.OH;
        t /= g.OH;
        int od = t % g.OD;
        t /= g.OD;
        int f = t % g.F, n = t / g.F;
        int cg = g.C / g.Groups, fg = g.F / g.Groups, gi = f / fg;
        float sum = g.HasBias != 0 ? b[f] : 0f;
        int inSpatial = g.InSpatial;
        int xBase = (n * g.C + gi * cg) * inSpatial;
        int wBase = f * cg * g.KernelVolume;
        for (int c = 0; c < cg; c++)
        for (int kd = 0; kd < g.KD; kd++)
        {
            int id = MapPad(od * g.SD - g.PD + kd * g.DD, g.D, g.Mode);
            if (id < 0) continue;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = MapPad(oh * g.SH - g.PH + kh * g.DH, g.H, g.Mode);
                if (ih < 0) continue;
                int xRow = xBase + c * inSpatial + (id * g.H + ih) * g.W;
                int wRow = wBase + ((c * g.KD + kd) * g.KH + kh) * g.KW;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int iw = MapPad(ow * g.SW - g.PW + kw * g.DW, g.W, g.Mode);
                    if (iw < 0) continue;
                    sum += x[xRow + iw] * w[wRow + kw];
                }
            }
        }
        y[i] = Activate(g, sum);
    }

    /// <summary>Zero padding: dx[n,c,p] += Σ dy·w gathered over the outputs that read p (N·C·IS threads).</summary>
    public static void ConvBackwardDataGather(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> w, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        int iw = i % g.W, t = i / g.W, ih = t % g.H;
        t /= g.H;
        int id = t % g.D;
        t /= g.D;
        int c = t % g.C, n = t / g.C;
        int cg = g.C / g.Groups, fg = g.F / g.Groups, gi = c / cg, cl = c % cg;
        int outSpatial = g.OutSpatial;
        float sum = 0f;
        for (int fl = 0; fl < fg; fl++)
        {
            int f = gi * fg + fl;
            int dyBase = (n * g.F + f) * outSpatial;
            int wBase = (f * cg + cl) * g.KernelVolume;
            for (int kd = 0; kd < g.KD; kd++)
            {
                int td = id + g.PD - kd * g.DD;
                if (td < 0 || td % g.SD != 0) continue;
                int od = td / g.SD;
                if (od >= g.OD) continue;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int th = ih + g.PH - kh * g.DH;
                    if (th < 0 || th % g.SH != 0) continue;
                    int oh = th / g.SH;
                    if (oh >= g.OH) continue;
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int tw = iw + g.PW - kw * g.DW;
                        if (tw < 0 || tw % g.SW != 0) continue;
                        int ow = tw / g.SW;
                        if (ow >= g.OW) continue;
                        sum += Grad(g, dy, y, dyBase + (od * g.OH + oh) * g.OW + ow) * w[wBase + (kd * g.KH + kh) * g.KW + kw];
                    }
                }
            }
        }
        dx[i] += sum;
    }

    /// <summary>Reflect/replicate/circular padding: each output element scatters dy·w to the inputs it read (atomics).</summary>
    public static void ConvBackwardDataScatter(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> w, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        int ow = i % g.OW, t = i / g.OW, oh = t % g.OH;
        t /= g.OH;
        int od = t % g.OD;
        t /= g.OD;
        int f = t % g.F, n = t / g.F;
        int cg = g.C / g.Groups, fg = g.F / g.Groups, gi = f / fg;
        int inSpatial = g.InSpatial;
        int xBase = (n * g.C + gi * cg) * inSpatial;
        int wBase = f * cg * g.KernelVolume;
        float d = Grad(g, dy, y, i);
        for (int c = 0; c < cg; c++)
        for (int kd = 0; kd < g.KD; kd++)
        {
            int id = MapPad(od * g.SD - g.PD + kd * g.DD, g.D, g.Mode);
            if (id < 0) continue;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = MapPad(oh * g.SH - g.PH + kh * g.DH, g.H, g.Mode);
                if (ih < 0) continue;
                int xRow = xBase + c * inSpatial + (id * g.H + ih) * g.W;
                int wRow = wBase + ((c * g.KD + kd) * g.KH + kh) * g.KW;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int iw = MapPad(ow * g.SW - g.PW + kw * g.DW, g.W, g.Mode);
                    if (iw < 0) continue;
                    Atomic.Add(ref dx[xRow + iw], d * w[wRow + kw]);
                }
            }
        }
    }

    /// <summary>dw += Σ dy·x: one thread per (example, weight element), atomically added (N·F·C/g·K threads).</summary>
    public static void ConvBackwardWeight(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> dw)
    {
        var g = sg.Value;
        int i = index;
        int cg = g.C / g.Groups, fg = g.F / g.Groups;
        int weights = g.F * cg * g.KernelVolume;
        int wi = i % weights, n = i / weights;
        int kw = wi % g.KW, t = wi / g.KW, kh = t % g.KH;
        t /= g.KH;
        int kd = t % g.KD;
        t /= g.KD;
        int cl = t % cg, f = t / cg, gi = f / fg;
        int inSpatial = g.InSpatial, outSpatial = g.OutSpatial;
        int xBase = (n * g.C + gi * cg + cl) * inSpatial;
        int dyBase = (n * g.F + f) * outSpatial;
        float sum = 0f;
        for (int od = 0; od < g.OD; od++)
        {
            int id = MapPad(od * g.SD - g.PD + kd * g.DD, g.D, g.Mode);
            if (id < 0) continue;
            for (int oh = 0; oh < g.OH; oh++)
            {
                int ih = MapPad(oh * g.SH - g.PH + kh * g.DH, g.H, g.Mode);
                if (ih < 0) continue;
                int xRow = xBase + (id * g.H + ih) * g.W;
                int dyRow = dyBase + (od * g.OH + oh) * g.OW;
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int iw = MapPad(ow * g.SW - g.PW + kw * g.DW, g.W, g.Mode);
                    if (iw < 0) continue;
                    sum += Grad(g, dy, y, dyRow + ow) * x[xRow + iw];
                }
            }
        }
        Atomic.Add(ref dw[wi], sum);
    }

    /// <summary>db[f] += Σ dy over one example's plane (N·F threads, atomics).</summary>
    public static void BiasBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> db)
    {
        var g = sg.Value;
        int i = index;
        int outSpatial = g.OutSpatial;
        float sum = 0f;
        for (int s = 0; s < outSpatial; s++) sum += Grad(g, dy, y, i * outSpatial + s);
        Atomic.Add(ref db[i % g.F], sum);
    }

    // ---- pooling -----------------------------------------------------------------------------

    private static void Decode(int i, in GpuGeometry g, out int plane, out int od, out int oh, out int ow)
    {
        ow = i % g.OW;
        int t = i / g.OW;
        oh = t % g.OH;
        t /= g.OH;
        od = t % g.OD;
        plane = t / g.OD;
    }

    /// <summary>Max pooling with saved argmax (flat index into the layer's input), N·C·OS threads.</summary>
    public static void MaxPoolForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        int d0 = XMath.Max(od * g.SD - g.PD, 0), d1 = XMath.Min(od * g.SD - g.PD + g.KD, g.D);
        int h0 = XMath.Max(oh * g.SH - g.PH, 0), h1 = XMath.Min(oh * g.SH - g.PH + g.KH, g.H);
        int w0 = XMath.Max(ow * g.SW - g.PW, 0), w1 = XMath.Min(ow * g.SW - g.PW + g.KW, g.W);
        float best = float.NegativeInfinity;
        int bestIndex = -1;
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        {
            int row = (d * g.H + h) * g.W;
            for (int w = w0; w < w1; w++)
            {
                float v = x[xBase + row + w];
                if (v > best || IsNaN(v)) { best = v; bestIndex = row + w; }
            }
        }
        if (bestIndex < 0 && d1 > d0 && h1 > h0 && w1 > w0) bestIndex = (d0 * g.H + h0) * g.W + w0;
        y[i] = best;
        argmax[i] = bestIndex < 0 ? -1 : xBase + bestIndex;
    }

    /// <summary>dx[argmax] += dy (atomics: windows may overlap). Also adaptive max pooling.</summary>
    public static void ArgmaxBackward(Index1D index, ArrayView<float> dy, ArrayView<int> argmax, ArrayView<float> dx)
    {
        int i = index;
        int a = argmax[i];
        if (a >= 0) Atomic.Add(ref dx[a], dy[i]);
    }

    private static int PaddedWindow(int o, int stride, int pad, int kernel, int size, out int lo, out int hi)
    {
        int start = o * stride - pad;
        int end = XMath.Min(start + kernel, size + pad);
        lo = XMath.Max(start, 0);
        hi = XMath.Min(end, size);
        return end - start;
    }

    /// <summary>Average pooling (count_include_pad) and, with Norm ≠ 0, LP pooling.</summary>
    public static void AvgPoolForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        int cd = PaddedWindow(od, g.SD, g.PD, g.KD, g.D, out int d0, out int d1);
        int ch = PaddedWindow(oh, g.SH, g.PH, g.KH, g.H, out int h0, out int h1);
        int cw = PaddedWindow(ow, g.SW, g.PW, g.KW, g.W, out int w0, out int w1);
        bool lp = g.Norm != 0f;
        float sum = 0f;
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        {
            int row = xBase + (d * g.H + h) * g.W;
            for (int w = w0; w < w1; w++) sum += lp ? XMath.Pow(x[row + w], g.Norm) : x[row + w];
        }
        float avg = sum / (cd * ch * cw);
        y[i] = lp ? XMath.Pow(avg * g.KernelVolume, 1f / g.Norm) : avg;
    }

    /// <summary>Average/LP pooling backward: each output scatters its share over its window (atomics).</summary>
    public static void AvgPoolBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        int cd = PaddedWindow(od, g.SD, g.PD, g.KD, g.D, out int d0, out int d1);
        int ch = PaddedWindow(oh, g.SH, g.PH, g.KH, g.H, out int h0, out int h1);
        int cw = PaddedWindow(ow, g.SW, g.PW, g.KW, g.W, out int w0, out int w1);
        bool lp = g.Norm != 0f;
        float factor;
        if (lp)
        {
            float scale = (float)g.KernelVolume / (cd * ch * cw);
            float s = XMath.Pow(y[i], g.Norm);
            if (!(s != 0f && s < float.PositiveInfinity && s > float.NegativeInfinity)) return;
            factor = dy[i] * scale * y[i] / s;
        }
        else
        {
            factor = dy[i] / (cd * ch * cw);
        }
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        {
            int row = xBase + (d * g.H + h) * g.W;
            for (int w = w0; w < w1; w++)
                Atomic.Add(ref dx[row + w], lp ? factor * XMath.Pow(x[row + w], g.Norm - 1f) : factor);
        }
    }

    private static void Bin(int i, int n, int m, out int lo, out int hi)
    {
        lo = i * n / m;
        hi = ((i + 1) * n + m - 1) / m;
    }

    /// <summary>Adaptive max pooling (PyTorch bins) with argmax; adaptive/global.</summary>
    public static void AdaptiveMaxForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        Bin(od, g.D, g.OD, out int d0, out int d1);
        Bin(oh, g.H, g.OH, out int h0, out int h1);
        Bin(ow, g.W, g.OW, out int w0, out int w1);
        int bestIndex = (d0 * g.H + h0) * g.W + w0;
        float best = x[xBase + bestIndex];
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        {
            int row = (d * g.H + h) * g.W;
            for (int w = w0; w < w1; w++)
            {
                float v = x[xBase + row + w];
                if (v > best || IsNaN(v)) { best = v; bestIndex = row + w; }
            }
        }
        y[i] = best;
        argmax[i] = xBase + bestIndex;
    }

    /// <summary>Adaptive average pooling; adaptive/global.</summary>
    public static void AdaptiveAvgForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        Bin(od, g.D, g.OD, out int d0, out int d1);
        Bin(oh, g.H, g.OH, out int h0, out int h1);
        Bin(ow, g.W, g.OW, out int w0, out int w1);
        float sum = 0f;
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) sum += x[xBase + (d * g.H + h) * g.W + w];
        y[i] = sum / ((d1 - d0) * (h1 - h0) * (w1 - w0));
    }

    /// <summary>Adaptive average pooling backward (atomics: bins may overlap).</summary>
    public static void AdaptiveAvgBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        Decode(i, g, out int plane, out int od, out int oh, out int ow);
        int xBase = plane * g.InSpatial;
        Bin(od, g.D, g.OD, out int d0, out int d1);
        Bin(oh, g.H, g.OH, out int h0, out int h1);
        Bin(ow, g.W, g.OW, out int w0, out int w1);
        float share = dy[i] / ((d1 - d0) * (h1 - h0) * (w1 - w0));
        for (int d = d0; d < d1; d++)
        for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) Atomic.Add(ref dx[xBase + (d * g.H + h) * g.W + w], share);
    }

    /// <summary>Maxout over groups of GroupSize channels; argmax = flat input index.</summary>
    public static void MaxoutForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<int> argmax)
    {
        var g = sg.Value;
        int i = index;
        int spatial = g.InSpatial, outChannels = g.C / g.GroupSize;
        int s = i % spatial, t = i / spatial, c = t % outChannels, n = t / outChannels;
        int first = (n * g.C + c * g.GroupSize) * spatial + s;
        float best = x[first];
        int bestIndex = first;
        for (int j = 1; j < g.GroupSize; j++)
        {
            float v = x[first + j * spatial];
            if (v > best || IsNaN(v)) { best = v; bestIndex = first + j * spatial; }
        }
        y[i] = best;
        argmax[i] = bestIndex;
    }

    // ---- activations, softmax ----------------------------------------------------------------

    public static void ActivationForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y)
    {
        var g = sg.Value;
        float v = x[index];
        float r;
        if (g.Act == GpuActivation.Relu) r = v > 0f ? v : (IsNaN(v) ? v : 0f);
        else if (g.Act == GpuActivation.LeakyRelu) r = v > 0f ? v : v * g.Alpha;
        else if (g.Act == GpuActivation.Elu) r = v > 0f ? v : g.Alpha * (XMath.Exp(v) - 1f);
        else if (g.Act == GpuActivation.Sigmoid) r = v >= 0f ? 1f / (1f + XMath.Exp(-v)) : XMath.Exp(v) / (1f + XMath.Exp(v));
        else r = XMath.Tanh(v);
        y[index] = r;
    }

    public static void ActivationBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        float d = dy[index], yv = y[index], xv = x[index];
        float r;
        if (g.Act == GpuActivation.Relu) r = !(yv <= 0f) ? d : 0f;
        else if (g.Act == GpuActivation.LeakyRelu) r = xv > 0f ? d : d * g.Alpha;
        else if (g.Act == GpuActivation.Elu) r = xv > 0f ? d : d * (yv + g.Alpha);
        else if (g.Act == GpuActivation.Sigmoid) r = d * yv * (1f - yv);
        else r = d * (1f - yv * yv);
        dx[index] += r;
    }

    /// <summary>prelu, one thread per element: y = x for x &gt; 0, a·x otherwise, where channel c takes slope
    /// c / GroupSize (GroupSize = C: one slope for all; 1: one per channel).</summary>
    public static void PReluForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> w, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        float a = w[(i / g.InSpatial) % g.C / g.GroupSize];
        float v = x[i];
        y[i] = v > 0f ? v : a * v;
    }

    /// <summary>dx[i] += dy for x &gt; 0, a·dy otherwise (one thread per element).</summary>
    public static void PReluBackwardData(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> w, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        float a = w[(i / g.InSpatial) % g.C / g.GroupSize];
        dx[i] += x[i] > 0f ? dy[i] : a * dy[i];
    }

    /// <summary>dw[k] += Σ dy·x over the elements of slope k with x ≤ 0 (one thread per slope, summed in order).</summary>
    public static void PReluBackwardWeight(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, int batch)
    {
        var g = sg.Value;
        int k = index;
        int spatial = g.InSpatial;
        float sum = 0f;
        for (int n = 0; n < batch; n++)
            for (int c = k * g.GroupSize; c < (k + 1) * g.GroupSize; c++)
                for (int s = 0; s < spatial; s++)
                {
                    int o = (n * g.C + c) * spatial + s;
                    if (!(x[o] > 0f)) sum += dy[o] * x[o];
                }
        dw[k] += sum;
    }

    /// <summary>Softmax (Norm = 0) or log-softmax (Norm = 1) over channels, one thread per (n, s).</summary>
    public static void SoftmaxForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        int spatial = g.InSpatial;
        int o = (i / spatial) * g.C * spatial + i % spatial;
        float max = float.NegativeInfinity;
        for (int c = 0; c < g.C; c++) max = XMath.Max(max, x[o + c * spatial]);
        float sum = 0f;
        for (int c = 0; c < g.C; c++) sum += XMath.Exp(x[o + c * spatial] - max);
        if (g.Norm != 0f)
        {
            float shift = max + XMath.Log(sum);
            for (int c = 0; c < g.C; c++) y[o + c * spatial] = x[o + c * spatial] - shift;
        }
        else
        {
            float inv = 1f / sum;
            for (int c = 0; c < g.C; c++) y[o + c * spatial] = XMath.Exp(x[o + c * spatial] - max) * inv;
        }
    }

    public static void SoftmaxBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        int spatial = g.InSpatial;
        int o = (i / spatial) * g.C * spatial + i % spatial;
        if (g.Norm != 0f)
        {
            float sum = 0f;
            for (int c = 0; c < g.C; c++) sum += dy[o + c * spatial];
            for (int c = 0; c < g.C; c++) dx[o + c * spatial] += dy[o + c * spatial] - XMath.Exp(y[o + c * spatial]) * sum;
        }
        else
        {
            float dot = 0f;
            for (int c = 0; c < g.C; c++) dot += dy[o + c * spatial] * y[o + c * spatial];
            for (int c = 0; c < g.C; c++) dx[o + c * spatial] += y[o + c * spatial] * (dy[o + c * spatial] - dot);
        }
    }

    // ---- batch norm --------------------------------------------------------------------------

    /// <summary>Training statistics per channel (C threads): saved[c] = mean, saved[C + c] = 1/std; running stats updated.</summary>
    public static void BatchNormStats(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> saved, ArrayView<float> state, int batch)
    {
        var g = sg.Value;
        int c = index;
        int spatial = g.InSpatial;
        int m = batch * spatial;
        float sum = 0f;
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++) sum += x[(n * g.C + c) * spatial + s];
        float mean = sum / m;
        float squares = 0f;
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                float d = x[(n * g.C + c) * spatial + s] - mean;
                squares += d * d;
            }
        float variance = squares / m;
        saved[c] = mean;
        saved[g.C + c] = 1f / XMath.Sqrt(variance + g.Eps);
        float unbiased = m > 1 ? squares / (m - 1) : variance;
        state[c] = (1f - g.Momentum) * state[c] + g.Momentum * mean;
        state[g.C + c] = (1f - g.Momentum) * state[g.C + c] + g.Momentum * unbiased;
        if (c == 0) state[2 * g.C] += 1f; // num_batches_tracked
    }

    /// <summary>y = (x − mean)·scale + beta; batch statistics (training) or running statistics (inference).</summary>
    public static void BatchNormApply(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> stats, int training)
    {
        var g = sg.Value;
        int i = index;
        int c = (i / g.InSpatial) % g.C;
        float mean, scale;
        if (training != 0)
        {
            mean = stats[c];
            scale = stats[g.C + c] * gamma[c];
        }
        else
        {
            mean = stats[c];
            scale = gamma[c] / XMath.Sqrt(stats[g.C + c] + g.Eps);
        }
        y[i] = (x[i] - mean) * scale + beta[c];
    }

    /// <summary>Per channel: Σdy and Σdy·x̂ into saved[2C + c], saved[3C + c]; dgamma, dbeta accumulate.</summary>
    public static void BatchNormBackwardReduce(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> saved, ArrayView<float> dgamma, ArrayView<float> dbeta, int batch)
    {
        var g = sg.Value;
        int c = index;
        int spatial = g.InSpatial;
        float mean = saved[c], invStd = saved[g.C + c];
        float sumDy = 0f, sumDyXhat = 0f;
        for (int n = 0; n < batch; n++)
            for (int s = 0; s < spatial; s++)
            {
                int o = (n * g.C + c) * spatial + s;
                sumDy += dy[o];
                sumDyXhat += dy[o] * (x[o] - mean) * invStd;
            }
        dgamma[c] += sumDyXhat;
        dbeta[c] += sumDy;
        saved[2 * g.C + c] = sumDy;
        saved[3 * g.C + c] = sumDyXhat;
    }

    public static void BatchNormBackwardData(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma, ArrayView<float> saved, ArrayView<float> dx, int batch)
    {
        var g = sg.Value;
        int i = index;
        int c = (i / g.InSpatial) % g.C;
        float count = batch * g.InSpatial;
        float mean = saved[c], invStd = saved[g.C + c];
        float meanDy = saved[2 * g.C + c] / count, meanDyXhat = saved[3 * g.C + c] / count;
        float xhat = (x[i] - mean) * invStd;
        dx[i] += gamma[c] * invStd * (dy[i] - meanDy - xhat * meanDyXhat);
    }

    // ---- dropout -----------------------------------------------------------------------------

    /// <summary>Dropout with the CPU kernel's masks: SplitMix64's k-th draw after <paramref name="state"/> hashes
    /// state + k·γ, so element i (one thread each) takes draw i + 1, and is dropped when its top 53 bits are
    /// below <paramref name="threshold"/>; the rest are scaled by <paramref name="keepScale"/>.</summary>
    public static void DropoutForward(Index1D index, ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, ulong state, ulong threshold, float keepScale)
    {
        int i = index;
        ulong z = state + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        float m = (z >> 11) < threshold ? 0f : keepScale;
        mask[i] = m;
        y[i] = x[i] * m;
    }

    /// <summary>dx += dy·mask.</summary>
    public static void MultiplyAccumulate(Index1D index, ArrayView<float> dy, ArrayView<float> mask, ArrayView<float> dx) =>
        dx[index] += dy[index] * mask[index];

    // ---- dense -------------------------------------------------------------------------------

    /// <summary>y[n,u] = b[u] + Σ_k w[u,k]·x[n,k] (C = in, F = units), N·F threads.</summary>
    public static void DenseForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        int u = i % g.F, n = i / g.F;
        float sum = g.HasBias != 0 ? b[u] : 0f;
        for (int k = 0; k < g.C; k++) sum += w[u * g.C + k] * x[n * g.C + k];
        y[i] = Activate(g, sum);
    }

    public static void DenseBackwardData(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> w, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        int k = i % g.C, n = i / g.C;
        float sum = 0f;
        for (int u = 0; u < g.F; u++) sum += Grad(g, dy, y, n * g.F + u) * w[u * g.C + k];
        dx[i] += sum;
    }

    /// <summary>dw[u,k] += Σ_n dy[n,u]·x[n,k]; with k = C (one extra column per unit) db[u] += Σ_n dy[n,u].</summary>
    public static void DenseBackwardWeight(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> y, ArrayView<float> dw, ArrayView<float> db, int batch)
    {
        var g = sg.Value;
        int i = index;
        int k = i % (g.C + 1), u = i / (g.C + 1);
        float sum = 0f;
        if (k < g.C)
        {
            for (int n = 0; n < batch; n++) sum += Grad(g, dy, y, n * g.F + u) * x[n * g.C + k];
            dw[u * g.C + k] += sum;
        }
        else if (g.HasBias != 0)
        {
            for (int n = 0; n < batch; n++) sum += Grad(g, dy, y, n * g.F + u);
            db[u] += sum;
        }
    }

    // ---- tensors -----------------------------------------------------------------------------

    public static void Copy(Index1D index, ArrayView<float> x, ArrayView<float> y) => y[index] = x[index];

    public static void Accumulate(Index1D index, ArrayView<float> x, ArrayView<float> y) => y[index] += x[index];

    /// <summary>Concat: this input (C channels) into channels [ChannelOffset, +C) of a TotalChannels output.</summary>
    public static void ConcatForward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> x, ArrayView<float> y)
    {
        var g = sg.Value;
        int i = index;
        int per = g.C * g.InSpatial;
        int n = i / per, r = i % per;
        y[(n * g.TotalChannels + g.ChannelOffset) * g.InSpatial + r] = x[i];
    }

    public static void ConcatBackward(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> dy, ArrayView<float> dx)
    {
        var g = sg.Value;
        int i = index;
        int per = g.C * g.InSpatial;
        int n = i / per, r = i % per;
        dx[i] += dy[(n * g.TotalChannels + g.ChannelOffset) * g.InSpatial + r];
    }

    // ---- loss and optimizers -----------------------------------------------------------------

    /// <summary>Fused softmax-cross-entropy per example (N threads): dz = (softmax − onehot)/N (overwritten),
    /// perExample[n] = loss, perExample[N + n] = 1 when the first maximal logit is the label.</summary>
    public static void SoftmaxCrossEntropy(Index1D index, SpecializedValue<GpuGeometry> sg, ArrayView<float> logits, ArrayView<int> labels, ArrayView<float> dlogits, ArrayView<float> perExample, int batch)
    {
        var g = sg.Value;
        int n = index;
        int classes = g.C;
        int o = n * classes;
        float max = float.NegativeInfinity;
        int best = 0;
        for (int k = 0; k < classes; k++)
        {
            float v = logits[o + k];
            max = XMath.Max(max, v);
            if (v > logits[o + best]) best = k;
        }
        float sum = 0f;
        for (int k = 0; k < classes; k++) sum += XMath.Exp(logits[o + k] - max);
        int label = labels[n];
        perExample[n] = XMath.Log(sum) - (logits[o + label] - max);
        perExample[batch + n] = best == label ? 1f : 0f;
        float invBatch = 1f / batch;
        float scale = invBatch / sum;
        for (int k = 0; k < classes; k++)
            dlogits[o + k] = XMath.Exp(logits[o + k] - max) * scale - (k == label ? invBatch : 0f);
    }

    /// <summary>One thread: result[0] = mean loss, result[1] = number correct.</summary>
    public static void ReduceLoss(Index1D index, ArrayView<float> perExample, ArrayView<float> result, int batch)
    {
        float loss = 0f, correct = 0f;
        for (int n = 0; n < batch; n++)
        {
            loss += perExample[n];
            correct += perExample[batch + n];
        }
        result[0] = loss / batch;
        result[1] = correct + 0f * index;
    }

    /// <summary>SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's torch.optim.SGD).</summary>
    public static void SgdStep(Index1D index, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> buffer, SgdArgs a)
    {
        int i = index;
        float d = grad[i] + a.WeightDecay * p[i];
        if (a.Momentum == 0f)
        {
            p[i] -= a.LearningRate * d;
            return;
        }
        float b = a.First != 0 ? d : a.Momentum * buffer[i] + a.Keep * d;
        buffer[i] = b;
        p[i] -= a.LearningRate * (a.Nesterov != 0 ? d + a.Momentum * b : b);
    }

    /// <summary>Adam (L2) / AdamW (decoupled: Shrink = 1 − lr·wd), bias-corrected as the CPU optimizer.</summary>
    public static void AdamStep(Index1D index, ArrayView<float> p, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, AdamArgs a)
    {
        int i = index;
        float pi = p[i] * a.Shrink;
        float gi = grad[i] + a.L2 * pi;
        float mi = a.Beta1 * m[i] + (1f - a.Beta1) * gi;
        float vi = a.Beta2 * v[i] + (1f - a.Beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - a.StepSize * mi / (XMath.Sqrt(vi) * a.InvSqrtBc2 + a.Epsilon);
    }
}
