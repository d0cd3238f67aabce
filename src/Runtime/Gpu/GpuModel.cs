using System;
using System.Collections.Generic;

namespace CnnDsl.Runtime.Gpu;

/// <summary>
/// A generated model resident on a <see cref="GpuDevice"/>, as an <see cref="IModel"/>: the runtime's
/// Trainer and Evaluator drive it unchanged. Created by the generated <c>model.ToDevice(device)</c>; the
/// source model stays the host copy that <see cref="Parameters"/>, <see cref="State"/>, <see cref="Save"/>
/// and <see cref="Load"/> go through. Every member throws <see cref="ObjectDisposedException"/> once it
/// is disposed; dispose it before its device.
/// </summary>
public sealed class GpuModel : IModel, IDisposable
{
    private readonly IModel _host;
    private readonly GpuNetwork _network;
    private readonly float[] _parameterScratch;
    private readonly float[] _stateScratch;
    private float[] _lastOutput = Array.Empty<float>();
    private float[] _inputGradient = Array.Empty<float>();
    private int _lastOutputStamp = -1, _inputGradientStamp = -1;
    private int _stamp;
    private bool _disposed;

    /// <summary>Uploads <paramref name="source"/> (weights and batchnorm statistics) to the device, after
    /// loading and specialising every kernel of <paramref name="program"/> (a warm-up pass); dropout
    /// continues the source's random stream from <paramref name="randomState"/>.</summary>
    public GpuModel(GpuDevice device, GpuProgram program, IModel source, ulong randomState)
    {
        _host = source ?? throw new ArgumentNullException(nameof(source));
        if (program is null) throw new ArgumentNullException(nameof(program));
        CheckCompatible(program.Layout, source);
        _parameterScratch = new float[program.Layout.ParameterElements];
        _stateScratch = new float[program.Layout.StateElements];
        _network = new GpuNetwork(device, program, randomState);
        try
        {
            _network.Warmup();
            CopyParametersFrom(source);
        }
        catch
        {
            _network.Dispose();
            throw;
        }
    }

    /// <summary>The device-resident network (buffers, kernels, step count).</summary>
    public GpuNetwork Network => Alive(_network);

    /// <summary>The CPU model this one was created from (the host copy).</summary>
    public IModel Source => Alive(_host);

    public string Name => Alive(_host).Name;
    public IReadOnlyList<int> InputDimensions => Alive(_host).InputDimensions;
    public IReadOnlyList<int> OutputDimensions => Alive(_host).OutputDimensions;
    public int InputSize => Alive(_host).InputSize;
    public int OutputSize => Alive(_host).OutputSize;

    /// <summary>Correctly classified examples of the last <see cref="TrainStep"/> (from the loss reduction).</summary>
    public int LastCorrect => Alive(_network).LastCorrect;

    /// <summary>The source model's parameters, values and gradients downloaded from the device now.</summary>
    public IReadOnlyList<Parameter> Parameters
    {
        get
        {
            CopyParametersTo(_host);
            CopyGradientsTo(_host);
            return _host.Parameters;
        }
    }

    /// <summary>The source model's batchnorm statistics, downloaded from the device now.</summary>
    public IReadOnlyList<StateTensor> State
    {
        get
        {
            CopyParametersTo(_host);
            return _host.State;
        }
    }

    /// <summary>Inference on the device (batchnorm running statistics, no dropout).</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        Alive(_network).Forward(input, output, batchSize);
        _stamp++;
    }

    /// <summary>Training-mode forward on the device; keeps what <see cref="Backward"/> needs.</summary>
    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        Alive(_network).ForwardTraining(input, output, batchSize);
        _stamp++;
    }

    /// <summary>Backward on the device from an output gradient: parameter gradients are overwritten and the
    /// input gradient computed (<see cref="InputGradient"/>).</summary>
    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        Alive(_network).Backward(outputGradient);
        _stamp++;
    }

    /// <summary>dL/dinput of the last <see cref="Backward"/>, downloaded on the first access after it (after a
    /// TrainStep, which does not compute it, zeros; before any training forward, empty).</summary>
    public ReadOnlySpan<float> InputGradient
    {
        get
        {
            int batch = Alive(_network).TrainingBatch;
            if (batch == 0) return default;
            int n = batch * InputSize;
            if (_inputGradientStamp != _stamp)
            {
                if (_inputGradient.Length < n) _inputGradient = new float[n];
                _network.CopyInputGradientTo(_inputGradient);
                _inputGradientStamp = _stamp;
            }
            return new ReadOnlySpan<float>(_inputGradient, 0, n);
        }
    }

    /// <summary>Forward, fused softmax-cross-entropy, backward and an optimizer step on the device; returns
    /// the mean loss. <see cref="Sgd"/>, <see cref="Adam"/> and <see cref="AdamW"/> describe the update (the
    /// learning rate is read every step); their state lives on the device.</summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batchSize, IOptimizer optimizer)
    {
        float loss = Alive(_network).TrainStep(input, labels, batchSize, optimizer);
        _stamp++;
        return loss;
    }

    /// <summary>Training forward, loss and backward without an update; returns the mean loss.</summary>
    public float ComputeGradients(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batchSize)
    {
        float loss = Alive(_network).ComputeGradients(input, labels, batchSize);
        _stamp++;
        return loss;
    }

    /// <summary>The network output of the last forward or step, downloaded on the first access after it.</summary>
    public ReadOnlySpan<float> LastOutput
    {
        get
        {
            int batch = Alive(_network).LastBatch;
            if (batch == 0) return default;
            int n = batch * OutputSize;
            if (_lastOutputStamp != _stamp)
            {
                if (_lastOutput.Length < n) _lastOutput = new float[n];
                _network.CopyLastOutputTo(_lastOutput);
                _lastOutputStamp = _stamp;
            }
            return new ReadOnlySpan<float>(_lastOutput, 0, n);
        }
    }

    /// <summary>Downloads weights and statistics into the source model and saves its checkpoint.</summary>
    public void Save(string path)
    {
        CopyParametersTo(_host);
        _host.Save(path);
    }

    /// <summary>Loads a checkpoint into the source model and uploads it (optimizer state restarts).</summary>
    public void Load(string path)
    {
        Alive(_host).Load(path);
        CopyParametersFrom(_host);
    }

    /// <summary>Uploads the weights and batchnorm statistics of <paramref name="model"/> (same network);
    /// the device optimizer state restarts.</summary>
    public void CopyParametersFrom(IModel model)
    {
        CheckCompatible(Alive(_network).Layout, model);
        Gather(model, _parameterScratch, _stateScratch);
        _network.CopyParametersFrom(_parameterScratch, _stateScratch);
    }

    /// <summary>Downloads weights and batchnorm statistics into <paramref name="model"/> (then model.Save).</summary>
    public void CopyParametersTo(IModel model)
    {
        CheckCompatible(Alive(_network).Layout, model);
        _network.CopyParametersTo(_parameterScratch, _stateScratch);
        int offset = 0;
        foreach (var p in model.Parameters)
        {
            _parameterScratch.AsSpan(offset, p.Length).CopyTo(p.Value);
            offset += p.Length;
        }
        offset = 0;
        foreach (var s in model.State)
        {
            _stateScratch.AsSpan(offset, s.Length).CopyTo(s.Value);
            offset += s.Length;
        }
    }

    /// <summary>Downloads the parameter gradients of the last step into <paramref name="model"/>'s gradients.</summary>
    public void CopyGradientsTo(IModel model)
    {
        CheckCompatible(Alive(_network).Layout, model);
        _network.CopyGradientsTo(_parameterScratch);
        int offset = 0;
        foreach (var p in model.Parameters)
        {
            _parameterScratch.AsSpan(offset, p.Length).CopyTo(p.Gradient);
            offset += p.Length;
        }
    }

    /// <summary>Frees the device buffers. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        _network.Dispose();
    }

    private T Alive<T>(T value)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(GpuModel), $"this GPU model of {_host.Name} was disposed.");
        return value;
    }

    private static void Gather(IModel model, float[] parameters, float[] state)
    {
        int offset = 0;
        foreach (var p in model.Parameters)
        {
            p.Value.CopyTo(parameters.AsSpan(offset, p.Length));
            offset += p.Length;
        }
        offset = 0;
        foreach (var s in model.State)
        {
            s.Value.CopyTo(state.AsSpan(offset, s.Length));
            offset += s.Length;
        }
    }

    private static void CheckCompatible(GpuLayout layout, IModel model)
    {
        if (model is null) throw new ArgumentNullException(nameof(model));
        long parameters = 0, state = 0;
        foreach (var p in model.Parameters) parameters += p.Length;
        foreach (var s in model.State) state += s.Length;
        if (model.Name != layout.NetworkName || parameters != layout.ParameterElements || state != layout.StateElements)
            throw new ArgumentException($"{model.Name} ({parameters} parameters, {state} state values) is not the network of this GPU model "
                + $"({layout.NetworkName}: {layout.ParameterElements} parameters, {layout.StateElements} state values).", nameof(model));
    }
}
