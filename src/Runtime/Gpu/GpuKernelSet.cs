using System;
using ILGPU;
using ILGPU.Runtime;

namespace CnnDsl.Runtime.Gpu;

using FView = ArrayView<float>;
using IView = ArrayView<int>;
using Geo = SpecializedValue<GpuGeometry>;

/// <summary>
/// The kernels of <see cref="GpuKernels"/> loaded once per device (loading is the expensive part; each
/// layer's specialised instance compiles on its first launch and ILGPU caches it), and one launch method
/// each: the generated launch sequence names the kernel, its layer's geometry and the views, and the
/// method knows how many threads the kernel runs (one per output element, per input element of a data
/// gradient, per weight of a weight gradient, per channel of batchnorm's statistics).
/// </summary>
public sealed class GpuKernelSet
{
    private readonly Action<Index1D, Geo, FView, FView, FView, FView> _convForward, _denseForward;
    private readonly Action<Index1D, Geo, FView, FView, FView, FView> _convBackwardDataGather, _convBackwardDataScatter, _convBackwardWeight, _denseBackwardData;
    private readonly Action<Index1D, Geo, FView, FView, FView> _biasBackward;
    private readonly Action<Index1D, Geo, FView, FView> _avgPoolForward, _adaptiveAvgForward, _adaptiveAvgBackward, _activationForward, _softmaxForward, _concatForward, _concatBackward;
    private readonly Action<Index1D, Geo, FView, FView, IView> _maxPoolForward, _adaptiveMaxForward, _maxoutForward;
    private readonly Action<Index1D, FView, IView, FView> _argmaxBackward;
    private readonly Action<Index1D, Geo, FView, FView, FView, FView> _avgPoolBackward, _activationBackward;
    private readonly Action<Index1D, Geo, FView, FView, FView> _softmaxBackward, _preluForward;
    private readonly Action<Index1D, Geo, FView, FView, FView, FView> _preluBackwardData;
    private readonly Action<Index1D, Geo, FView, FView, FView, int> _preluBackwardWeight;
    private readonly Action<Index1D, Geo, FView, FView, FView, int> _batchNormStats;
    private readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> _batchNormApply, _batchNormBackwardReduce, _batchNormBackwardData;
    private readonly Action<Index1D, FView, FView, FView, ulong, ulong, float> _dropoutForward;
    private readonly Action<Index1D, FView, FView, FView> _multiplyAccumulate;
    private readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> _denseBackwardWeight;
    private readonly Action<Index1D, FView, FView> _copy, _accumulate;

    internal readonly Action<Index1D, Geo, FView, IView, FView, FView, int> SoftmaxCrossEntropy;
    internal readonly Action<Index1D, FView, FView, int> ReduceLoss;
    internal readonly Action<Index1D, FView, FView, FView, SgdArgs> SgdStep;
    internal readonly Action<Index1D, FView, FView, FView, FView, AdamArgs> AdamStep;

    private GpuKernelSet(Accelerator a)
    {
        _convForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvForward);
        _denseForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.DenseForward);
        _convBackwardDataGather = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardDataGather);
        _convBackwardDataScatter = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardDataScatter);
        _convBackwardWeight = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardWeight);
        _denseBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.DenseBackwardData);
        _biasBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView>(GpuKernels.BiasBackward);
        _avgPoolForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AvgPoolForward);
        _adaptiveAvgForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AdaptiveAvgForward);
        _adaptiveAvgBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AdaptiveAvgBackward);
        _activationForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ActivationForward);
        _softmaxForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.SoftmaxForward);
        _concatForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ConcatForward);
        _concatBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ConcatBackward);
        _maxPoolForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.MaxPoolForward);
        _adaptiveMaxForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.AdaptiveMaxForward);
        _maxoutForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.MaxoutForward);
        _argmaxBackward = a.LoadAutoGroupedStreamKernel<Index1D, FView, IView, FView>(GpuKernels.ArgmaxBackward);
        _avgPoolBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.AvgPoolBackward);
        _activationBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ActivationBackward);
        _softmaxBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView>(GpuKernels.SoftmaxBackward);
        _preluForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView>(GpuKernels.PReluForward);
        _preluBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.PReluBackwardData);
        _preluBackwardWeight = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, int>(GpuKernels.PReluBackwardWeight);
        _batchNormStats = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, int>(GpuKernels.BatchNormStats);
        _batchNormApply = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormApply);
        _batchNormBackwardReduce = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormBackwardReduce);
        _batchNormBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormBackwardData);
        _dropoutForward = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView, ulong, ulong, float>(GpuKernels.DropoutForward);
        _multiplyAccumulate = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView>(GpuKernels.MultiplyAccumulate);
        _denseBackwardWeight = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.DenseBackwardWeight);
        _copy = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView>(GpuKernels.Copy);
        _accumulate = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView>(GpuKernels.Accumulate);
        SoftmaxCrossEntropy = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, IView, FView, FView, int>(GpuKernels.SoftmaxCrossEntropy);
        ReduceLoss = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, int>(GpuKernels.ReduceLoss);
        SgdStep = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView, SgdArgs>(GpuKernels.SgdStep);
        AdamStep = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView, FView, AdamArgs>(GpuKernels.AdamStep);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<GpuDevice, GpuKernelSet> s_sets = new();

    internal static GpuKernelSet For(GpuDevice device)
    {
        lock (s_sets) return s_sets.GetValue(device, d => new GpuKernelSet(d.Accelerator));
    }

    private static Geo S(in GpuGeometry g) => SpecializedValue.New(g);

    private static int Weights(in GpuGeometry g) => g.F * (g.C / g.Groups) * g.KernelVolume;

    // ---- convolution, dense: relu: the forward kernel applies the relu the plan fused into the layer ----

    public void ConvForward(in GpuGeometry g, int batch, FView x, FView w, FView b, FView y, bool relu = false) =>
        _convForward(batch * g.OutElements, S(relu ? g with { Act = GpuActivation.Relu } : g), x, w, b, y);

    public void ConvBackwardWeight(in GpuGeometry g, int batch, FView x, FView dy, FView y, FView dw) => _convBackwardWeight(batch * Weights(g), S(g), x, dy, y, dw);

    public void BiasBackward(in GpuGeometry g, int batch, FView dy, FView y, FView db) => _biasBackward(batch * g.F, S(g), dy, y, db);

    public void ConvBackwardDataGather(in GpuGeometry g, int batch, FView dy, FView y, FView w, FView dx) => _convBackwardDataGather(batch * g.InElements, S(g), dy, y, w, dx);

    public void ConvBackwardDataScatter(in GpuGeometry g, int batch, FView dy, FView y, FView w, FView dx) => _convBackwardDataScatter(batch * g.OutElements, S(g), dy, y, w, dx);

    public void DenseForward(in GpuGeometry g, int batch, FView x, FView w, FView b, FView y, bool relu = false) =>
        _denseForward(batch * g.OutElements, S(relu ? g with { Act = GpuActivation.Relu } : g), x, w, b, y);

    public void DenseBackwardWeight(in GpuGeometry g, int batch, FView x, FView dy, FView y, FView dw, FView db) => _denseBackwardWeight(g.F * (g.C + 1), S(g), x, dy, y, dw, db, batch);

    public void DenseBackwardData(in GpuGeometry g, int batch, FView dy, FView y, FView w, FView dx) => _denseBackwardData(batch * g.InElements, S(g), dy, y, w, dx);

    // ---- pooling ----

    public void MaxPoolForward(in GpuGeometry g, int batch, FView x, FView y, IView argmax) => _maxPoolForward(batch * g.OutElements, S(g), x, y, argmax);

    public void AvgPoolForward(in GpuGeometry g, int batch, FView x, FView y) => _avgPoolForward(batch * g.OutElements, S(g), x, y);

    public void AvgPoolBackward(in GpuGeometry g, int batch, FView x, FView y, FView dy, FView dx) => _avgPoolBackward(batch * g.OutElements, S(g), x, y, dy, dx);

    public void AdaptiveMaxForward(in GpuGeometry g, int batch, FView x, FView y, IView argmax) => _adaptiveMaxForward(batch * g.OutElements, S(g), x, y, argmax);

    public void AdaptiveAvgForward(in GpuGeometry g, int batch, FView x, FView y) => _adaptiveAvgForward(batch * g.OutElements, S(g), x, y);

    public void AdaptiveAvgBackward(in GpuGeometry g, int batch, FView dy, FView dx) => _adaptiveAvgBackward(batch * g.OutElements, S(g), dy, dx);

    public void MaxoutForward(in GpuGeometry g, int batch, FView x, FView y, IView argmax) => _maxoutForward(batch * g.OutElements, S(g), x, y, argmax);

    /// <summary>dx[argmax] += dy: max pooling, adaptive max pooling and maxout.</summary>
    public void ArgmaxBackward(in GpuGeometry g, int batch, FView dy, IView argmax, FView dx) => _argmaxBackward(batch * g.OutElements, dy, argmax, dx);

    // ---- activations, softmax ----

    public void ActivationForward(in GpuGeometry g, int batch, FView x, FView y) => _activationForward(batch * g.OutElements, S(g), x, y);

    public void ActivationBackward(in GpuGeometry g, int batch, FView x, FView y, FView dy, FView dx) => _activationBackward(batch * g.OutElements, S(g), x, y, dy, dx);

    /// <summary>prelu with <paramref name="slopes"/> learned slopes (1, or one per channel).</summary>
    public void PReluForward(in GpuGeometry g, int batch, int slopes, FView x, FView w, FView y) => _preluForward(batch * g.OutElements, S(g with { GroupSize = g.C / slopes }), x, w, y);

    public void PReluBackwardData(in GpuGeometry g, int batch, int slopes, FView x, FView w, FView dy, FView dx) =>
        _preluBackwardData(batch * g.InElements, S(g with { GroupSize = g.C / slopes }), x, w, dy, dx);

    public void PReluBackwardWeight(in GpuGeometry g, int batch, int slopes, FView x, FView dy, FView dw) =>
        _preluBackwardWeight(slopes, S(g with { GroupSize = g.C / slopes }), x, dy, dw, batch);

    public void SoftmaxForward(in GpuGeometry g, int batch, FView x, FView y) => _softmaxForward(batch * g.InSpatial, S(g), x, y);

    public void SoftmaxBackward(in GpuGeometry g, int batch, FView y, FView dy, FView dx) => _softmaxBackward(batch * g.InSpatial, S(g), y, dy, dx);

    // ---- batchnorm ----

    public void BatchNormStats(in GpuGeometry g, int batch, FView x, FView saved, FView state) => _batchNormStats(g.C, S(g), x, saved, state, batch);

    public void BatchNormApply(in GpuGeometry g, int batch, FView x, FView y, FView gamma, FView beta, FView statistics, bool training) =>
        _batchNormApply(batch * g.OutElements, S(g), x, y, gamma, beta, statistics, training ? 1 : 0);

    public void BatchNormBackwardReduce(in GpuGeometry g, int batch, FView x, FView dy, FView saved, FView dgamma, FView dbeta) =>
        _batchNormBackwardReduce(g.C, S(g), x, dy, saved, dgamma, dbeta, batch);

    public void BatchNormBackwardData(in GpuGeometry g, int batch, FView x, FView dy, FView gamma, FView saved, FView dx) =>
        _batchNormBackwardData(batch * g.InElements, S(g), x, dy, gamma, saved, dx, batch);

    // ---- dropout, merges, copies ----

    internal void DropoutForward(int elements, FView x, FView y, FView mask, ulong state, ulong threshold, float keepScale) =>
        _dropoutForward(elements, x, y, mask, state, threshold, keepScale);

    /// <summary>dx += dy·mask over <paramref name="elements"/> elements.</summary>
    public void MultiplyAccumulate(long elements, FView dy, FView mask, FView dx) => _multiplyAccumulate(checked((int)elements), dy, mask, dx);

    /// <summary>An input of <paramref name="channels"/> channels into output channels [channelOffset, + channels).</summary>
    public void ConcatForward(in GpuGeometry g, int batch, int channels, int channelOffset, FView x, FView y) =>
        _concatForward(batch * channels * g.InSpatial, S(g with { C = channels, ChannelOffset = channelOffset }), x, y);

    public void ConcatBackward(in GpuGeometry g, int batch, int channels, int channelOffset, FView dy, FView dx) =>
        _concatBackward(batch * channels * g.InSpatial, S(g with { C = channels, ChannelOffset = channelOffset }), dy, dx);

    public void Copy(long elements, FView x, FView y) => _copy(checked((int)elements), x, y);

    /// <summary>y += x over <paramref name="elements"/> elements.</summary>
    public void Accumulate(long elements, FView x, FView y) => _accumulate(checked((int)elements), x, y);
}
