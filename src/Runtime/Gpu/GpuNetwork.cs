using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace CnnDsl.Runtime.Gpu;

using FView = ArrayView<float>;
using IView = ArrayView<int>;
using Geo = SpecializedValue<GpuGeometry>;

/// <summary>
/// The kernels of <see cref="GpuKernels"/> loaded once per device (loading is the expensive part; each
/// layer's specialized instance compiles on its first launch and is cached by ILGPU).
/// </summary>
internal sealed class GpuKernelSet
{
    public readonly Action<Index1D, Geo, FView, FView, FView, FView> ConvForward, DenseForward;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView> ConvBackwardDataGather, ConvBackwardDataScatter, ConvBackwardWeight, DenseBackwardData;
    public readonly Action<Index1D, Geo, FView, FView, FView> BiasBackward;
    public readonly Action<Index1D, Geo, FView, FView> AvgPoolForward, AdaptiveAvgForward, AdaptiveAvgBackward, ActivationForward, SoftmaxForward, ConcatForward, ConcatBackward;
    public readonly Action<Index1D, Geo, FView, FView, IView> MaxPoolForward, AdaptiveMaxForward, MaxoutForward;
    public readonly Action<Index1D, FView, IView, FView> ArgmaxBackward;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView> AvgPoolBackward, ActivationBackward;
    public readonly Action<Index1D, Geo, FView, FView, FView> SoftmaxBackward;
    public readonly Action<Index1D, Geo, FView, FView, FView, int> BatchNormStats;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> BatchNormApply;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> BatchNormBackwardReduce;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> BatchNormBackwardData;
    public readonly Action<Index1D, Geo, FView, FView, FView, uint> DropoutForward;
    public readonly Action<Index1D, FView, FView, FView> MultiplyAccumulate;
    public readonly Action<Index1D, Geo, FView, FView, FView, FView, FView, int> DenseBackwardWeight;
    public readonly Action<Index1D, FView, FView> Copy, Accumulate;
    public readonly Action<Index1D, Geo, FView, IView, FView, FView, int> SoftmaxCrossEntropy;
    public readonly Action<Index1D, FView, FView, int> ReduceLoss;
    public readonly Action<Index1D, FView, FView, FView, SgdArgs> SgdStep;
    public readonly Action<Index1D, FView, FView, FView, FView, AdamArgs> AdamStep;

    public GpuKernelSet(Accelerator a)
    {
        ConvForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvForward);
        DenseForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.DenseForward);
        ConvBackwardDataGather = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardDataGather);
        ConvBackwardDataScatter = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardDataScatter);
        ConvBackwardWeight = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ConvBackwardWeight);
        DenseBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.DenseBackwardData);
        BiasBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView>(GpuKernels.BiasBackward);
        AvgPoolForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AvgPoolForward);
        AdaptiveAvgForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AdaptiveAvgForward);
        AdaptiveAvgBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.AdaptiveAvgBackward);
        ActivationForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ActivationForward);
        SoftmaxForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.SoftmaxForward);
        ConcatForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ConcatForward);
        ConcatBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView>(GpuKernels.ConcatBackward);
        MaxPoolForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.MaxPoolForward);
        AdaptiveMaxForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.AdaptiveMaxForward);
        MaxoutForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, IView>(GpuKernels.MaxoutForward);
        ArgmaxBackward = a.LoadAutoGroupedStreamKernel<Index1D, FView, IView, FView>(GpuKernels.ArgmaxBackward);
        AvgPoolBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.AvgPoolBackward);
        ActivationBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView>(GpuKernels.ActivationBackward);
        SoftmaxBackward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView>(GpuKernels.SoftmaxBackward);
        BatchNormStats = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, int>(GpuKernels.BatchNormStats);
        BatchNormApply = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormApply);
        BatchNormBackwardReduce = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormBackwardReduce);
        BatchNormBackwardData = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.BatchNormBackwardData);
        DropoutForward = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, uint>(GpuKernels.DropoutForward);
        MultiplyAccumulate = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView>(GpuKernels.MultiplyAccumulate);
        DenseBackwardWeight = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, FView, FView, FView, FView, int>(GpuKernels.DenseBackwardWeight);
        Copy = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView>(GpuKernels.Copy);
        Accumulate = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView>(GpuKernels.Accumulate);
        SoftmaxCrossEntropy = a.LoadAutoGroupedStreamKernel<Index1D, Geo, FView, IView, FView, FView, int>(GpuKernels.SoftmaxCrossEntropy);
        ReduceLoss = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, int>(GpuKernels.ReduceLoss);
        SgdStep = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView, SgdArgs>(GpuKernels.SgdStep);
        AdamStep = a.LoadAutoGroupedStreamKernel<Index1D, FView, FView, FView, FView, AdamArgs>(GpuKernels.AdamStep);
    }

    private static readonly ConditionalWeakTableShim s_sets = new();

    public static GpuKernelSet For(GpuDevice device) => s_sets.Get(device);

    private sealed class ConditionalWeakTableShim
    {
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<GpuDevice, GpuKernelSet> _table = new();

        public GpuKernelSet Get(GpuDevice device)
        {
            lock (_table) return _table.GetValue(device, d => new GpuKernelSet(d.Accelerator));
        }
    }
}

/// <summary>
/// A network resident on a <see cref="GpuDevice"/>: parameters, gradients, activations, argmax indices,
/// dropout masks, batchnorm statistics and optimizer state all live in device buffers across steps.
/// Generated model classes wrap one in their nested <c>Gpu</c> class; a step uploads the batch, launches
/// the layer kernels and reads back two scalars (mean loss, correct count). Buffers grow only when a
/// larger batch than before arrives, so steady-state steps allocate nothing on the device or the heap.
/// </summary>
public sealed class GpuNetwork : IDisposable
{
    private readonly GpuDevice _device;
    private readonly Accelerator _a;
    private readonly GpuKernelSet _k;
    private readonly GpuPlan _plan;
    // backward geometry (never a fused activation) and forward geometry (Act = relu when fused)
    private readonly Geo[] _geo;
    private readonly Geo[] _forwardGeo;
    private readonly Geo _lossGeo;
    // conv/dense i → the relu layer j it computes too (−1: none); j's own kernels are skipped
    private readonly int[] _fusedRelu;
    private readonly bool[] _fusedAway;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy;
    private MemoryBuffer1D<float, Stride1D.Dense>? _activations, _activationGradients, _masks, _perExample;
    private MemoryBuffer1D<int, Stride1D.Dense>? _argmax, _labels;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _dummyInt;
    private readonly float[] _scalars = new float[2];
    private int _capacity;
    private int _trainingBatch;
    private long _steps;
    private uint _dropoutCounter;
    private IOptimizer? _optimizerKind;
    private bool _disposed;

    public GpuNetwork(GpuDevice device, GpuPlan plan)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _a = device.Accelerator;
        _k = GpuKernelSet.For(device);
        _geo = new Geo[plan.Layers.Length];
        _forwardGeo = new Geo[plan.Layers.Length];
        _fusedRelu = FindFusions(plan);
        _fusedAway = _fusedAwayInit!;
        for (int i = 0; i < _geo.Length; i++)
        {
            var g = plan.Layers[i].Geometry;
            _geo[i] = SpecializedValue.New(g);
            if (_fusedRelu[i] >= 0) g.Act = GpuActivation.Relu;
            _forwardGeo[i] = SpecializedValue.New(g);
        }
        _lossGeo = SpecializedValue.New(new GpuGeometry { C = plan.FlatOutput ? plan.SizeOf(plan.LossProducer) : 1 });
        _parameters = Alloc(plan.ParameterElements);
        _gradients = Alloc(plan.ParameterElements);
        _state = Alloc(plan.StateElements);
        _saved = Alloc(plan.SavedElements);
        _optimizer1 = Alloc(plan.ParameterElements);
        _optimizer2 = Alloc(plan.ParameterElements);
        _result = Alloc(2);
        _dummy = Alloc(1);
        _dummyInt = _a.Allocate1D<int>(1);
        foreach (var b in new[] { _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy }) b.MemSetToZero();
    }

    public GpuPlan Plan => _plan;

    /// <summary>Relu layers computed inside the preceding conv/dense forward kernel.</summary>
    public int FusedActivations => _fusedRelu.Count(j => j >= 0);

    /// <summary>Conv/dense i fuses relu j = i + 1 when j reads only i, nothing else reads i, and i is not
    /// the loss's logits: then i's own output is never needed (relu backward needs only j's output).</summary>
    private int[] FindFusions(GpuPlan plan)
    {
        int count = plan.Layers.Length;
        var readers = new int[count];
        foreach (var layer in plan.Layers)
            foreach (int p in layer.Inputs)
                if (p >= 0) readers[p]++;
        var fused = new int[count];
        var away = new bool[count];
        for (int i = 0; i < count; i++)
        {
            fused[i] = -1;
            var layer = plan.Layers[i];
            if (layer.Kind is not (GpuLayerKind.Conv or GpuLayerKind.Dense) || i + 1 >= count) continue;
            var next = plan.Layers[i + 1];
            if (next.Kind != GpuLayerKind.Activation || next.Geometry.Act != GpuActivation.Relu) continue;
            if (next.Inputs.Length != 1 || next.Inputs[0] != i || readers[i] != 1 || plan.LossProducer == i) continue;
            fused[i] = i + 1;
            away[i + 1] = true;
        }
        _fusedAwayInit = away;
        return fused;
    }

    private bool[]? _fusedAwayInit;

    public GpuDevice Device => _device;

    /// <summary>Examples the correct-count of the last <see cref="TrainStep"/> or <see cref="ComputeGradients"/> counted.</summary>
    public int LastCorrect { get; private set; }

    /// <summary>Batch size of the last forward pass (0 before the first).</summary>
    public int LastBatch { get; private set; }

    /// <summary>Optimizer steps taken on the device.</summary>
    public long StepCount => _steps;

    private MemoryBuffer1D<float, Stride1D.Dense> Alloc(long n) => _a.Allocate1D<float>(Math.Max(n, 1));

    private static FView V(MemoryBuffer1D<float, Stride1D.Dense> b, long offset, long length) => b.View.SubView(offset, Math.Max(length, 1)).AsContiguous();

    private static IView VI(MemoryBuffer1D<int, Stride1D.Dense> b, long offset, long length) => b.View.SubView(offset, Math.Max(length, 1)).AsContiguous();

    private void EnsureCapacity(int batch)
    {
        if (batch <= _capacity) return;
        _activations?.Dispose();
        _activationGradients?.Dispose();
        _masks?.Dispose();
        _perExample?.Dispose();
        _argmax?.Dispose();
        _labels?.Dispose();
        _activations = Alloc((long)_plan.ActivationElements * batch);
        _activationGradients = Alloc((long)_plan.ActivationElements * batch);
        _masks = Alloc((long)_plan.MaskElements * batch);
        _perExample = Alloc(2L * batch);
        _argmax = _a.Allocate1D<int>(Math.Max((long)_plan.ArgmaxElements * batch, 1));
        _labels = _a.Allocate1D<int>(batch);
        _capacity = batch;
    }

    private FView Act(int producer, int batch) => V(_activations!, (long)_plan.OffsetOf(producer) * batch, (long)_plan.SizeOf(producer) * batch);

    private FView Grad(int producer, int batch) => V(_activationGradients!, (long)_plan.OffsetOf(producer) * batch, (long)_plan.SizeOf(producer) * batch);

    // a parameter view runs from its offset to the end of the arena (kernels index within their tensor)
    private FView P(int offset, int length) => offset < 0 ? _dummy.View.AsContiguous() : V(_parameters, offset, _plan.ParameterElements - offset);

    private FView PG(int offset, int length) => offset < 0 ? _dummy.View.AsContiguous() : V(_gradients, offset, _plan.ParameterElements - offset);

    private void CheckBatch(int batch, int inputLength)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(GpuNetwork));
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch size must be positive.");
        if (inputLength < (long)batch * _plan.InputElements)
            throw new ArgumentException($"The input holds {inputLength} values; {batch} examples of {_plan.NetworkName} need {(long)batch * _plan.InputElements}.", "input");
    }

    // ---- public surface ----------------------------------------------------------------------

    /// <summary>Inference (batchnorm running statistics, dropout off): uploads the batch, runs, downloads the output.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        CheckBatch(batch, input.Length);
        if (output.Length < (long)batch * _plan.OutputElements)
            throw new ArgumentException($"The output holds {output.Length} values; {batch} examples need {(long)batch * _plan.OutputElements}.", nameof(output));
        EnsureCapacity(batch);
        Upload(input, batch);
        RunForward(batch, training: false);
        int last = _plan.Layers.Length - 1;
        Act(last, batch).SubView(0, (long)batch * _plan.OutputElements).CopyToCPU(ref MemoryMarshal.GetReference(output), (long)batch * _plan.OutputElements);
    }

    /// <summary>Training-mode forward (batch statistics, dropout) that keeps what <see cref="Backward"/> needs.</summary>
    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        CheckBatch(batch, input.Length);
        if (output.Length < (long)batch * _plan.OutputElements)
            throw new ArgumentException($"The output holds {output.Length} values; {batch} examples need {(long)batch * _plan.OutputElements}.", nameof(output));
        EnsureCapacity(batch);
        Upload(input, batch);
        RunForward(batch, training: true);
        CopyLastOutputTo(output, batch);
    }

    /// <summary>Back-propagates <paramref name="outputGradient"/> (batch × outputs) through the last
    /// <see cref="ForwardTraining"/>; parameter gradients are overwritten. The network input's gradient
    /// is not computed on the device.</summary>
    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        int batch = _trainingBatch;
        if (batch == 0) throw new InvalidOperationException("Backward needs a training-mode forward first: call ForwardTraining.");
        long n = (long)batch * _plan.OutputElements;
        if (outputGradient.Length < n) throw new ArgumentException($"The output gradient holds {outputGradient.Length} values; {n} needed.", nameof(outputGradient));
        int last = _plan.Layers.Length - 1;
        _gradients.View.MemSetToZero();
        _activationGradients!.View.SubView(0, (long)_plan.ActivationElements * batch).MemSetToZero();
        Grad(last, batch).SubView(0, n).CopyFromCPU(ref MemoryMarshal.GetReference(outputGradient), n);
        RunBackward(batch, last);
        _a.Synchronize();
    }

    /// <summary>Training forward, fused softmax-cross-entropy and backward: parameter gradients are
    /// overwritten on the device (read them with <see cref="CopyGradientsTo"/>). Returns the mean loss.</summary>
    public float ComputeGradients(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch)
    {
        LaunchGradients(input, labels, batch);
        return ReadResult();
    }

    private float ReadResult()
    {
        _result.View.CopyToCPU(ref _scalars[0], 2);
        LastCorrect = (int)_scalars[1];
        return _scalars[0];
    }

    private void LaunchGradients(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch)
    {
        CheckBatch(batch, input.Length);
        if (!_plan.FlatOutput)
            throw new NotSupportedException($"TrainStep's classification loss needs a flat output; {_plan.NetworkName} does not have one.");
        int producer = _plan.LossProducer;
        int classes = _plan.SizeOf(producer);
        if (labels.Length < batch) throw new ArgumentException($"{labels.Length} labels for a batch of {batch}.", nameof(labels));
        for (int n = 0; n < batch; n++)
            if ((uint)labels[n] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[n], $"Label {labels[n]} of example {n} is outside 0..{classes - 1} (the network has {classes} classes).");
        EnsureCapacity(batch);
        Upload(input, batch);
        VI(_labels!, 0, batch).CopyFromCPU(ref MemoryMarshal.GetReference(labels), batch);
        RunForward(batch, training: true);
        _gradients.View.MemSetToZero();
        _activationGradients!.View.SubView(0, (long)_plan.ActivationElements * batch).MemSetToZero();
        _k.SoftmaxCrossEntropy(batch, _lossGeo, Act(producer, batch), VI(_labels!, 0, batch), Grad(producer, batch), V(_perExample!, 0, 2L * batch), batch);
        _k.ReduceLoss(1, V(_perExample!, 0, 2L * batch), _result.View.AsContiguous(), batch);
        RunBackward(batch, producer);
    }

    /// <summary>Forward, loss, backward and one optimizer step, all on the device; returns the mean loss.
    /// <paramref name="optimizer"/> describes the update (<see cref="Sgd"/>, <see cref="Adam"/>,
    /// <see cref="AdamW"/>; its <see cref="IOptimizer.LearningRate"/> is read every step, so schedules
    /// work); its state (momentum, moments) lives on the device, not in the object, and starts fresh
    /// whenever a different optimizer object (or new parameters) arrives.</summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch, IOptimizer optimizer)
    {
        if (optimizer is null) throw new ArgumentNullException(nameof(optimizer));
        if (optimizer is not (Sgd or Adam))
            throw new NotSupportedException($"The GPU back end implements Sgd, Adam and AdamW; {optimizer.GetType().Name} has no device kernel.");
        if (!ReferenceEquals(_optimizerKind, optimizer))
        {
            // a new optimizer object starts from fresh state (as a new CPU optimizer would)
            _optimizer1.View.MemSetToZero();
            _optimizer2.View.MemSetToZero();
            _steps = 0;
            _optimizerKind = optimizer;
        }
        // launch everything, then read the two scalars once: one synchronisation per step
        LaunchGradients(input, labels, batch);
        Step(optimizer);
        return ReadResult();
    }

    private void Step(IOptimizer optimizer)
    {
        _steps++;
        int n = _plan.ParameterElements;
        if (n == 0) return;
        var p = V(_parameters, 0, n);
        var g = V(_gradients, 0, n);
        if (optimizer is Sgd sgd)
        {
            var args = new SgdArgs
            {
                LearningRate = sgd.LearningRate, WeightDecay = sgd.WeightDecay, Momentum = sgd.Momentum,
                Keep = 1 - sgd.Dampening, Nesterov = sgd.Nesterov ? 1 : 0, First = _steps == 1 ? 1 : 0,
            };
            _k.SgdStep(n, p, g, V(_optimizer1, 0, n), args);
        }
        else
        {
            var adam = (Adam)optimizer;
            bool decoupled = optimizer is AdamW;
            float lr = adam.LearningRate;
            var args = new AdamArgs
            {
                Beta1 = adam.Beta1, Beta2 = adam.Beta2, Epsilon = adam.Epsilon,
                L2 = decoupled ? 0 : adam.WeightDecay, Shrink = decoupled ? 1 - lr * adam.WeightDecay : 1,
                StepSize = (float)(lr / (1 - Math.Pow(adam.Beta1, _steps))),
                InvSqrtBc2 = (float)(1 / Math.Sqrt(1 - Math.Pow(adam.Beta2, _steps))),
            };
            _k.AdamStep(n, p, g, V(_optimizer1, 0, n), V(_optimizer2, 0, n), args);
        }
    }

    /// <summary>Runs one training forward and backward at batch 1 so every specialized kernel is compiled
    /// now rather than during the first real step, then clears what it touched (call before uploading weights).</summary>
    public void Warmup()
    {
        int batch = 1;
        EnsureCapacity(batch);
        _activations!.View.MemSetToZero();
        if (_plan.FlatOutput)
        {
            Span<int> label = stackalloc int[1];
            ComputeGradients(new float[_plan.InputElements], label, batch);
        }
        RunForward(batch, training: false);
        _a.Synchronize();
        foreach (var b in new[] { _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2 }) b.MemSetToZero();
        _a.Synchronize();
    }

    /// <summary>Uploads parameters and state (the CPU model's arenas, same layout) and resets the optimizer state.</summary>
    public void CopyParametersFrom(ReadOnlySpan<float> parameters, ReadOnlySpan<float> state)
    {
        if (parameters.Length != _plan.ParameterElements || state.Length != _plan.StateElements)
            throw new ArgumentException($"Expected {_plan.ParameterElements} parameters and {_plan.StateElements} state values.");
        if (parameters.Length > 0) V(_parameters, 0, parameters.Length).CopyFromCPU(ref MemoryMarshal.GetReference(parameters), parameters.Length);
        if (state.Length > 0) V(_state, 0, state.Length).CopyFromCPU(ref MemoryMarshal.GetReference(state), state.Length);
        _optimizer1.View.MemSetToZero();
        _optimizer2.View.MemSetToZero();
        _steps = 0;
        _optimizerKind = null;
        _a.Synchronize();
    }

    /// <summary>Downloads parameters and state into the CPU model's arenas (for Save, or CPU inference).</summary>
    public void CopyParametersTo(Span<float> parameters, Span<float> state)
    {
        if (parameters.Length != _plan.ParameterElements || state.Length != _plan.StateElements)
            throw new ArgumentException($"Expected {_plan.ParameterElements} parameters and {_plan.StateElements} state values.");
        if (parameters.Length > 0) V(_parameters, 0, parameters.Length).CopyToCPU(ref MemoryMarshal.GetReference(parameters), parameters.Length);
        if (state.Length > 0) V(_state, 0, state.Length).CopyToCPU(ref MemoryMarshal.GetReference(state), state.Length);
    }

    /// <summary>Downloads the parameter gradients of the last step (same layout as the parameters).</summary>
    public void CopyGradientsTo(Span<float> gradients)
    {
        if (gradients.Length != _plan.ParameterElements) throw new ArgumentException($"Expected {_plan.ParameterElements} gradient values.");
        if (gradients.Length > 0) V(_gradients, 0, gradients.Length).CopyToCPU(ref MemoryMarshal.GetReference(gradients), gradients.Length);
    }

    /// <summary>Downloads the output of the last forward (training or inference) for <paramref name="batch"/> examples.</summary>
    public void CopyLastOutputTo(Span<float> output, int batch)
    {
        int last = _plan.Layers.Length - 1;
        Act(last, batch).SubView(0, (long)batch * _plan.OutputElements).CopyToCPU(ref MemoryMarshal.GetReference(output), (long)batch * _plan.OutputElements);
    }

    private void Upload(ReadOnlySpan<float> input, int batch)
    {
        long n = (long)batch * _plan.InputElements;
        V(_activations!, 0, n).CopyFromCPU(ref MemoryMarshal.GetReference(input), n);
    }

    // ---- drivers -----------------------------------------------------------------------------

    private void RunForward(int batch, bool training)
    {
        _dropoutCounter++;
        LastBatch = batch;
        _trainingBatch = training ? batch : 0;
        for (int i = 0; i < _plan.Layers.Length; i++) ForwardLayer(i, batch, training);
    }

    private void RunBackward(int batch, int last)
    {
        for (int i = last; i >= 0; i--) BackwardLayer(i, batch);
    }

    private void ForwardLayer(int i, int batch, bool training)
    {
        if (_fusedAway[i]) return;
        var layer = _plan.Layers[i];
        var g = layer.Geometry;
        var geo = _forwardGeo[i];
        int x = layer.Inputs[0];
        var xs = Act(x, batch);
        var y = Act(_fusedRelu[i] >= 0 ? _fusedRelu[i] : i, batch);
        int outCount = batch * g.OutElements;
        switch (layer.Kind)
        {
            case GpuLayerKind.Conv:
                _k.ConvForward(outCount, geo, xs, P(layer.WeightOffset, 1), P(layer.BiasOffset, 1), y);
                break;
            case GpuLayerKind.Dense:
                _k.DenseForward(outCount, geo, xs, P(layer.WeightOffset, 1), P(layer.BiasOffset, 1), y);
                break;
            case GpuLayerKind.MaxPool:
                _k.MaxPoolForward(outCount, geo, xs, y, ArgmaxView(layer, batch));
                break;
            case GpuLayerKind.AvgPool:
            case GpuLayerKind.LpPool:
                _k.AvgPoolForward(outCount, geo, xs, y);
                break;
            case GpuLayerKind.AdaptiveMaxPool:
                _k.AdaptiveMaxForward(outCount, geo, xs, y, ArgmaxView(layer, batch));
                break;
            case GpuLayerKind.AdaptiveAvgPool:
                _k.AdaptiveAvgForward(outCount, geo, xs, y);
                break;
            case GpuLayerKind.Maxout:
                _k.MaxoutForward(outCount, geo, xs, y, ArgmaxView(layer, batch));
                break;
            case GpuLayerKind.Activation:
                _k.ActivationForward(outCount, geo, xs, y);
                break;
            case GpuLayerKind.Softmax:
            case GpuLayerKind.LogSoftmax:
                _k.SoftmaxForward(batch * g.InSpatial, geo, xs, y);
                break;
            case GpuLayerKind.BatchNorm:
            {
                var saved = V(_saved, layer.SavedOffset, 4 * g.C);
                var state = V(_state, layer.StateOffset, 2 * g.C + 1);
                if (training) _k.BatchNormStats(g.C, geo, xs, saved, state, batch);
                _k.BatchNormApply(outCount, geo, xs, y, P(layer.WeightOffset, g.C), P(layer.BiasOffset, g.C), training ? saved : state, training ? 1 : 0);
                break;
            }
            case GpuLayerKind.Dropout:
                if (training) _k.DropoutForward(outCount, geo, xs, y, MaskView(layer, batch), _dropoutCounter * 0x85EBCA6Bu + (uint)i * 0xC2B2AE35u);
                else _k.Copy(outCount, xs, y);
                break;
            case GpuLayerKind.Concat:
                for (int k = 0; k < layer.Inputs.Length; k++)
                {
                    int producer = layer.Inputs[k];
                    _k.ConcatForward(batch * _plan.SizeOf(producer), ConcatGeo(i, k), Act(producer, batch), y);
                }
                break;
            case GpuLayerKind.Add:
                _k.Copy(outCount, xs, y);
                for (int k = 1; k < layer.Inputs.Length; k++) _k.Accumulate(outCount, Act(layer.Inputs[k], batch), y);
                break;
            default:
                _k.Copy(outCount, xs, y);
                break;
        }
    }

    private void BackwardLayer(int i, int batch)
    {
        // Backward is not fused: the relu's own kernel writes the conv/dense output gradient, which the
        // conv/dense kernels then read once per use. (Masking dy by y inside them — the kernels can, with
        // Act = relu — doubled their loads and measured slower on the H100.)
        var layer = _plan.Layers[i];
        var g = layer.Geometry;
        var geo = _geo[i];
        int x = layer.Inputs[0];
        bool needDx = x >= 0;
        var xs = Act(x, batch);
        var y = Act(i, batch);
        var dy = Grad(i, batch);
        var dx = Grad(x, batch);
        int outCount = batch * g.OutElements, inCount = batch * g.InElements;
        switch (layer.Kind)
        {
            case GpuLayerKind.Conv:
            {
                int cg = g.C / g.Groups;
                int weights = g.F * cg * g.KernelVolume;
                _k.ConvBackwardWeight(batch * weights, geo, xs, dy, y, PG(layer.WeightOffset, weights));
                if (g.HasBias != 0) _k.BiasBackward(batch * g.F, geo, dy, y, PG(layer.BiasOffset, g.F));
                if (needDx)
                {
                    if (g.Mode == 0) _k.ConvBackwardDataGather(inCount, geo, dy, y, P(layer.WeightOffset, weights), dx);
                    else _k.ConvBackwardDataScatter(outCount, geo, dy, y, P(layer.WeightOffset, weights), dx);
                }
                break;
            }
            case GpuLayerKind.Dense:
                _k.DenseBackwardWeight(g.F * (g.C + 1), geo, xs, dy, y, PG(layer.WeightOffset, g.F * g.C), PG(layer.BiasOffset, g.F), batch);
                if (needDx) _k.DenseBackwardData(inCount, geo, dy, y, P(layer.WeightOffset, g.F * g.C), dx);
                break;
            case GpuLayerKind.MaxPool:
            case GpuLayerKind.AdaptiveMaxPool:
            case GpuLayerKind.Maxout:
                if (needDx) _k.ArgmaxBackward(outCount, dy, ArgmaxView(layer, batch), dx);
                break;
            case GpuLayerKind.AvgPool:
            case GpuLayerKind.LpPool:
                if (needDx) _k.AvgPoolBackward(outCount, geo, xs, y, dy, dx);
                break;
            case GpuLayerKind.AdaptiveAvgPool:
                if (needDx) _k.AdaptiveAvgBackward(outCount, geo, dy, dx);
                break;
            case GpuLayerKind.Activation:
                if (needDx) _k.ActivationBackward(outCount, geo, xs, y, dy, dx);
                break;
            case GpuLayerKind.Softmax:
            case GpuLayerKind.LogSoftmax:
                if (needDx) _k.SoftmaxBackward(batch * g.InSpatial, geo, y, dy, dx);
                break;
            case GpuLayerKind.BatchNorm:
            {
                var saved = V(_saved, layer.SavedOffset, 4 * g.C);
                _k.BatchNormBackwardReduce(g.C, geo, xs, dy, saved, PG(layer.WeightOffset, g.C), PG(layer.BiasOffset, g.C), batch);
                if (needDx) _k.BatchNormBackwardData(inCount, geo, xs, dy, P(layer.WeightOffset, g.C), saved, dx, batch);
                break;
            }
            case GpuLayerKind.Dropout:
                if (needDx) _k.MultiplyAccumulate(outCount, dy, MaskView(layer, batch), dx);
                break;
            case GpuLayerKind.Concat:
                for (int k = 0; k < layer.Inputs.Length; k++)
                {
                    int producer = layer.Inputs[k];
                    if (producer >= 0) _k.ConcatBackward(batch * _plan.SizeOf(producer), ConcatGeo(i, k), dy, Grad(producer, batch));
                }
                break;
            case GpuLayerKind.Add:
                foreach (int producer in layer.Inputs)
                    if (producer >= 0) _k.Accumulate(outCount, dy, Grad(producer, batch));
                break;
            default:
                if (needDx) _k.Accumulate(outCount, dy, dx);
                break;
        }
    }

    private Geo[]?[]? _concatGeo;

    private Geo ConcatGeo(int layerIndex, int input)
    {
        _concatGeo ??= new Geo[]?[_plan.Layers.Length];
        var geos = _concatGeo[layerIndex];
        if (geos is null)
        {
            var layer = _plan.Layers[layerIndex];
            geos = new Geo[layer.Inputs.Length];
            int offset = 0;
            for (int k = 0; k < geos.Length; k++)
            {
                var g = layer.Geometry;
                g.C = layer.InputChannels[k];
                g.ChannelOffset = offset;
                g.TotalChannels = layer.Geometry.F;
                geos[k] = SpecializedValue.New(g);
                offset += layer.InputChannels[k];
            }
            _concatGeo[layerIndex] = geos;
        }
        return geos[input];
    }

    private IView ArgmaxView(GpuLayer layer, int batch) =>
        VI(_argmax!, (long)layer.ArgmaxOffset * batch, (long)layer.Geometry.OutElements * batch);

    private FView MaskView(GpuLayer layer, int batch) =>
        V(_masks!, (long)layer.MaskOffset * batch, (long)layer.Geometry.OutElements * batch);

    /// <summary>Frees every device buffer (the device itself belongs to the caller).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in new IDisposable?[] { _activations, _activationGradients, _masks, _perExample, _argmax, _labels,
                     _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy, _dummyInt })
            b?.Dispose();
    }
}
