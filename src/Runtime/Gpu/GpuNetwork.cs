using System;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace CnnDsl.Runtime.Gpu;

using FView = ArrayView<float>;
using IView = ArrayView<int>;

/// <summary>
/// A network resident on a <see cref="GpuDevice"/>: parameters, gradients, activations, argmax indices,
/// dropout masks, batchnorm statistics and optimizer state live in device buffers across steps; the
/// generated <see cref="GpuProgram"/> launches the layers' kernels on them. A step uploads the batch,
/// runs the program's passes, the loss and the optimizer, and reads back two scalars (mean loss, correct
/// count). Buffers grow only when a larger batch than before arrives, so steady-state steps allocate
/// nothing on the device. The argument checks are the CPU model's (<see cref="ModelChecks"/>).
/// </summary>
public sealed class GpuNetwork : IDisposable
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private readonly GpuDevice _device;
    private readonly Accelerator _a;
    private readonly GpuProgram _program;
    private readonly GpuLayout _layout;
    private readonly SpecializedValue<GpuGeometry> _lossGeometry;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy;
    private MemoryBuffer1D<float, Stride1D.Dense>? _activations, _activationGradients, _masks, _perExample;
    private MemoryBuffer1D<int, Stride1D.Dense>? _argmax, _labels;
    private readonly float[] _scalars = new float[2];
    private int _capacity;
    private int _trainingBatch;
    private long _steps;
    private ulong _random;
    private IOptimizer? _optimizerKind;
    private bool _disposed;

    /// <summary>Allocates the device buffers of <paramref name="program"/>'s layout; dropout draws from the
    /// SplitMix64 stream at <paramref name="randomState"/> (the CPU model's, so the masks are its masks).</summary>
    public GpuNetwork(GpuDevice device, GpuProgram program, ulong randomState = 0)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _program = program ?? throw new ArgumentNullException(nameof(program));
        _layout = program.Layout;
        _a = device.Accelerator;
        Kernels = GpuKernelSet.For(device);
        _random = randomState;
        _lossGeometry = SpecializedValue.New(new GpuGeometry { C = _layout.FlatOutput ? _layout.Logits.Elements : 1 });
        _parameters = Alloc(_layout.ParameterElements);
        _gradients = Alloc(_layout.ParameterElements);
        _state = Alloc(_layout.StateElements);
        _saved = Alloc(_layout.SavedElements);
        _optimizer1 = Alloc(_layout.ParameterElements);
        _optimizer2 = Alloc(_layout.ParameterElements);
        _result = Alloc(2);
        _dummy = Alloc(1);
        foreach (var b in new[] { _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy }) b.MemSetToZero();
    }

    /// <summary>The loaded kernels the program launches.</summary>
    public GpuKernelSet Kernels { get; }

    public GpuLayout Layout => _layout;

    public GpuDevice Device
    {
        get
        {
            CheckAlive();
            return _device;
        }
    }

    /// <summary>Examples the correct-count of the last <see cref="TrainStep"/> or <see cref="ComputeGradients"/> counted.</summary>
    public int LastCorrect { get; private set; }

    /// <summary>Batch size of the last forward pass (0 before the first).</summary>
    public int LastBatch { get; private set; }

    /// <summary>Batch size of the last training-mode forward (0 before the first).</summary>
    public int TrainingBatch => _trainingBatch;

    /// <summary>Optimizer steps taken on the device.</summary>
    public long StepCount => _steps;

    /// <summary>The dropout stream's state (the CPU model's after the same draws).</summary>
    public ulong RandomState => _random;

    // ---- views for the program ------------------------------------------------------------------

    public FView Activations(GpuSlot slot, int batch) => V(_activations!, (long)slot.Offset * batch, (long)slot.Elements * batch);

    public FView Gradients(GpuSlot slot, int batch) => V(_activationGradients!, (long)slot.Offset * batch, (long)slot.Elements * batch);

    /// <summary>The parameter arena from <paramref name="offset"/> on (the kernels index within their tensor).</summary>
    public FView Parameters(int offset) => V(_parameters, offset, _layout.ParameterElements - offset);

    public FView ParameterGradients(int offset) => V(_gradients, offset, _layout.ParameterElements - offset);

    /// <summary>A view for a tensor a kernel is given but does not read (a layer without bias).</summary>
    public FView NoTensor => _dummy.View.AsContiguous();

    public FView State(GpuSlot range) => V(_state, range.Offset, range.Elements);

    public FView Saved(GpuSlot range) => V(_saved, range.Offset, range.Elements);

    public IView Argmax(GpuSlot slot, int batch) => VI(_argmax!, (long)slot.Offset * batch, (long)slot.Elements * batch);

    public FView Mask(GpuSlot slot, int batch) => V(_masks!, (long)slot.Offset * batch, (long)slot.Elements * batch);

    /// <summary>Dropout of one layer in training mode: the next batch × elements draws of the stream, the
    /// CPU kernel's masks (<c>Kernels.Dropout.ForwardTraining</c>).</summary>
    public void Dropout(in GpuGeometry g, int batch, FView x, FView y, FView mask)
    {
        long elements = (long)batch * g.OutElements;
        float rate = g.Alpha;
        float keepScale = rate < 1f ? 1f / (1f - rate) : 0f;
        Kernels.DropoutForward(checked((int)elements), x, y, mask, _random, CnnDsl.Runtime.Kernels.Dropout.Threshold(rate), keepScale);
        unchecked { _random += (ulong)elements * Golden; }
    }

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
        _activations = Alloc((long)_layout.ActivationElements * batch);
        _activationGradients = Alloc((long)_layout.ActivationElements * batch);
        _masks = Alloc((long)_layout.MaskElements * batch);
        _perExample = Alloc(2L * batch);
        _argmax = _a.Allocate1D<int>(Math.Max((long)_layout.ArgmaxElements * batch, 1));
        _labels = _a.Allocate1D<int>(batch);
        _capacity = batch;
    }

    private void CheckAlive()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(GpuNetwork), $"the GPU network of {_layout.NetworkName} was disposed.");
    }

    private void CheckBuffers(int inputLength, int outputLength, int batch)
    {
        CheckAlive();
        ModelChecks.Buffers(_layout.NetworkName, inputLength, outputLength, batch, _layout.InputElements, _layout.InputShape, _layout.OutputElements, _layout.OutputShape, _layout.ActivationElements);
    }

    private void CheckTrainingBatch(int batch)
    {
        if (_layout.BatchNormOverBatch is string name) ModelChecks.BatchForBatchNorm(batch, name);
    }

    // ---- passes ------------------------------------------------------------------------------------

    /// <summary>Inference (batchnorm running statistics, dropout off): uploads the batch, runs, downloads the output.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        CheckBuffers(input.Length, output.Length, batch);
        EnsureCapacity(batch);
        Upload(input, batch);
        _program.ForwardInference(this, batch);
        LastBatch = batch;
        Download(Activations(_layout.Output, batch), output, (long)batch * _layout.OutputElements);
    }

    /// <summary>Training-mode forward (batch statistics, dropout) that keeps what <see cref="Backward"/> needs.</summary>
    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        CheckBuffers(input.Length, output.Length, batch);
        CheckTrainingBatch(batch);
        RunForwardTraining(input, batch);
        Download(Activations(_layout.Output, batch), output, (long)batch * _layout.OutputElements);
    }

    private void RunForwardTraining(ReadOnlySpan<float> input, int batch)
    {
        EnsureCapacity(batch);
        Upload(input, batch);
        _program.ForwardTraining(this, batch);
        LastBatch = _trainingBatch = batch;
    }

    /// <summary>Back-propagates <paramref name="outputGradient"/> through the last <see cref="ForwardTraining"/>;
    /// parameter gradients are overwritten, and the network input's gradient is computed (<see cref="CopyInputGradientTo"/>).</summary>
    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        CheckAlive();
        int batch = _trainingBatch;
        ModelChecks.OutputGradient(outputGradient.Length, batch, _layout.OutputElements, _layout.OutputShape);
        ZeroGradients(batch);
        long n = (long)batch * _layout.OutputElements;
        Gradients(_layout.Output, batch).SubView(0, n).CopyFromCPU(ref MemoryMarshal.GetReference(outputGradient), n);
        _program.Backward(this, batch, fromLogits: false, inputGradient: true);
        _a.Synchronize();
    }

    /// <summary>Training forward, fused softmax-cross-entropy and backward: parameter gradients are
    /// overwritten on the device (read them with <see cref="CopyGradientsTo"/>). Returns the mean loss.</summary>
    public float ComputeGradients(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch)
    {
        LaunchGradients(input, labels, batch);
        return ReadResult();
    }

    /// <summary>Forward, loss, backward and one optimizer step, all on the device; returns the mean loss.
    /// <paramref name="optimizer"/> describes the update (<see cref="Sgd"/>, <see cref="Adam"/>,
    /// <see cref="AdamW"/>; its <see cref="IOptimizer.LearningRate"/> is read every step, so schedules
    /// work); its state (momentum, moments) lives on the device, not in the object, and starts fresh
    /// whenever a different optimizer object (or new parameters) arrives.</summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch, IOptimizer optimizer)
    {
        CheckAlive();
        if (optimizer is null) throw new ArgumentNullException(nameof(optimizer));
        if (optimizer is not (Sgd or Adam))
            throw new NotSupportedException($"The GPU back end implements Sgd, Adam and AdamW; {optimizer.GetType().Name} has no device kernel.");
        LaunchGradients(input, labels, batch);
        if (!ReferenceEquals(_optimizerKind, optimizer))
        {
            // a new optimizer object starts from fresh state (as a new CPU optimizer would)
            _optimizer1.View.MemSetToZero();
            _optimizer2.View.MemSetToZero();
            _steps = 0;
            _optimizerKind = optimizer;
        }
        // everything launched, then the two scalars read once: one synchronisation per step
        Step(optimizer);
        return ReadResult();
    }

    private void LaunchGradients(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batch)
    {
        CheckAlive();
        if (!_layout.FlatOutput)
            throw new NotSupportedException($"TrainStep's classification loss needs a flat output; {_layout.NetworkName} does not have one.");
        CheckBuffers(input.Length, _layout.OutputElements * batch, batch);
        ModelChecks.Labels(_layout.NetworkName, labels, batch, _layout.OutputElements);
        CheckTrainingBatch(batch);
        RunForwardTraining(input, batch);
        VI(_labels!, 0, batch).CopyFromCPU(ref MemoryMarshal.GetReference(labels), batch);
        ZeroGradients(batch);
        Kernels.SoftmaxCrossEntropy(batch, _lossGeometry, Activations(_layout.Logits, batch), VI(_labels!, 0, batch), Gradients(_layout.Logits, batch), V(_perExample!, 0, 2L * batch), batch);
        Kernels.ReduceLoss(1, V(_perExample!, 0, 2L * batch), _result.View.AsContiguous(), batch);
        _program.Backward(this, batch, fromLogits: true, inputGradient: false);
    }

    private void ZeroGradients(int batch)
    {
        _gradients.View.MemSetToZero();
        _activationGradients!.View.SubView(0, Math.Max((long)_layout.ActivationElements * batch, 1)).MemSetToZero();
    }

    private float ReadResult()
    {
        _result.View.CopyToCPU(ref _scalars[0], 2);
        LastCorrect = (int)_scalars[1];
        return _scalars[0];
    }

    private void Step(IOptimizer optimizer)
    {
        _steps++;
        int n = _layout.ParameterElements;
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
            Kernels.SgdStep(n, p, g, V(_optimizer1, 0, n), args);
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
            Kernels.AdamStep(n, p, g, V(_optimizer1, 0, n), V(_optimizer2, 0, n), args);
        }
    }

    /// <summary>Runs every pass once at batch 2 on zeroed buffers, so every specialised kernel is compiled
    /// now rather than during the first real step, then clears what it touched and restores the dropout
    /// stream (call before uploading weights).</summary>
    public void Warmup()
    {
        CheckAlive();
        ulong random = _random;
        // batch 2: a batchnorm over one value per channel needs two examples
        const int batch = 2;
        EnsureCapacity(batch);
        _activations!.View.MemSetToZero();
        var input = new float[batch * _layout.InputElements];
        if (_layout.FlatOutput) ComputeGradients(input, stackalloc int[batch], batch);
        RunForwardTraining(input, batch);
        ZeroGradients(batch);
        _program.Backward(this, batch, fromLogits: false, inputGradient: true);
        _program.ForwardInference(this, batch);
        _a.Synchronize();
        foreach (var b in new[] { _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2 }) b.MemSetToZero();
        _a.Synchronize();
        _random = random;
        LastBatch = _trainingBatch = 0;
    }

    // ---- copies between the host and the device ------------------------------------------------------

    /// <summary>Uploads parameters and state (the CPU model's arenas, same layout) and resets the optimizer state.</summary>
    public void CopyParametersFrom(ReadOnlySpan<float> parameters, ReadOnlySpan<float> state)
    {
        CheckAlive();
        CheckArenas(parameters.Length, state.Length);
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
        CheckAlive();
        CheckArenas(parameters.Length, state.Length);
        if (parameters.Length > 0) V(_parameters, 0, parameters.Length).CopyToCPU(ref MemoryMarshal.GetReference(parameters), parameters.Length);
        if (state.Length > 0) V(_state, 0, state.Length).CopyToCPU(ref MemoryMarshal.GetReference(state), state.Length);
    }

    private void CheckArenas(int parameters, int state)
    {
        if (parameters != _layout.ParameterElements || state != _layout.StateElements)
            throw new ArgumentException($"{_layout.NetworkName} has {_layout.ParameterElements} parameters and {_layout.StateElements} state values, not {parameters} and {state}.");
    }

    /// <summary>Downloads the parameter gradients of the last step (same layout as the parameters).</summary>
    public void CopyGradientsTo(Span<float> gradients)
    {
        CheckAlive();
        if (gradients.Length != _layout.ParameterElements)
            throw new ArgumentException($"{_layout.NetworkName} has {_layout.ParameterElements} parameter gradients, not {gradients.Length}.", nameof(gradients));
        if (gradients.Length > 0) V(_gradients, 0, gradients.Length).CopyToCPU(ref MemoryMarshal.GetReference(gradients), gradients.Length);
    }

    /// <summary>Downloads the output of the last forward (training or inference): <see cref="LastBatch"/> examples.</summary>
    public void CopyLastOutputTo(Span<float> output)
    {
        CheckAlive();
        Download(Activations(_layout.Output, LastBatch), output, (long)LastBatch * _layout.OutputElements);
    }

    /// <summary>Downloads the network input's gradient of the last <see cref="Backward"/> (<see cref="TrainingBatch"/> examples;
    /// after a TrainStep, which does not compute it, zeros).</summary>
    public void CopyInputGradientTo(Span<float> inputGradient)
    {
        CheckAlive();
        Download(Gradients(_layout.Input, _trainingBatch), inputGradient, (long)_trainingBatch * _layout.InputElements);
    }

    private static void Download(FView from, Span<float> to, long count)
    {
        if (to.Length < count) throw new ArgumentException($"the buffer holds {to.Length} values; {count} are needed.", "output");
        if (count > 0) from.SubView(0, count).CopyToCPU(ref MemoryMarshal.GetReference(to), count);
    }

    private void Upload(ReadOnlySpan<float> input, int batch)
    {
        long n = (long)batch * _layout.InputElements;
        Activations(_layout.Input, batch).CopyFromCPU(ref MemoryMarshal.GetReference(input), n);
    }

    /// <summary>Frees every device buffer (the device itself belongs to the caller).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in new IDisposable?[] { _activations, _activationGradients, _masks, _perExample, _argmax, _labels,
                     _parameters, _gradients, _state, _saved, _optimizer1, _optimizer2, _result, _dummy })
            b?.Dispose();
    }
}
