using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Generator.Emit;

/// <summary>
/// The memory plan of one generated model, decided once at build time: where each layer's output,
/// gradient, argmax indices, dropout mask and batchnorm statistics live in their arenas (offsets per
/// example; the run-time batch size multiplies them), and where each parameter and state tensor lives.
/// Every layer output keeps its own slot because a training step needs them all for backward, except
/// where the execution plan fuses a relu into the conv, dense or batchnorm layer before it, or a max
/// pooling into the conv or batchnorm before it (or before its relu): what the kernel computes on the
/// way is never stored, so the chain has one slot, holding the last layer's output.
/// </summary>
internal sealed class ComputeLayout
{
    /// <param name="network">The checked network.</param>
    /// <param name="fuseActivations">Follow the plan's relu and pooling fusion (the CPU code); false gives every layer
    /// its own slot (the GPU back end, whose kernels compute each layer on its own).</param>
    public ComputeLayout(NetworkModel network, bool fuseActivations)
    {
        Network = network;
        InputElements = (int)network.InputShape.ElementCount;
        var last = network.Layers[network.Layers.Count - 1];
        LossProducer = last.Kind is LayerKind.Softmax or LayerKind.LogSoftmax ? last.Inputs[0] : last.Index;
        for (int i = 0; i < network.Layers.Count; i++)
            FusedRelu.Add(fuseActivations ? CheckedFusion(i) : -1);
        for (int i = 0; i < network.Layers.Count; i++)
            FusedPool.Add(fuseActivations ? CheckedPoolFusion(i) : -1);
        for (int i = 0; i < network.Layers.Count; i++) FusedInto.Add(-1);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            if (FusedRelu[i] >= 0) FusedInto[FusedRelu[i]] = i;
            if (FusedPool[i] >= 0) FusedInto[FusedPool[i]] = i;
        }

        int offset = InputElements;
        int argmax = 0, mask = 0, saved = 0, parameters = 0, state = 0;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var layer = network.Layers[i];
            int size = SizeOf(WrittenTensor(i));
            if (FusedInto[i] >= 0)
            {
                // the producer comes first and already took this slot
                ActivationOffset.Add(ActivationOffset[FusedInto[i]]);
            }
            else
            {
                ActivationOffset.Add(offset);
                offset = checked(offset + size);
            }
            bool needsArgmax = layer.Kind is LayerKind.MaxPool or LayerKind.AdaptiveMaxPool or LayerKind.GlobalMaxPool or LayerKind.Maxout;
            ArgmaxOffset.Add(needsArgmax ? argmax : -1);
            if (needsArgmax) argmax = checked(argmax + (int)layer.OutputShape.ElementCount);
            MaskOffset.Add(layer.Kind == LayerKind.Dropout ? mask : -1);
            if (layer.Kind == LayerKind.Dropout) mask = checked(mask + (int)layer.OutputShape.ElementCount);
            SavedOffset.Add(layer.Kind == LayerKind.BatchNorm ? saved : -1);
            if (layer.Kind == LayerKind.BatchNorm) saved = checked(saved + 2 * layer.OutputShape.Channels);
            var p = new List<int>();
            foreach (var parameter in layer.Parameters)
            {
                p.Add(parameters);
                parameters = checked(parameters + (int)parameter.Count);
            }
            ParameterOffsets.Add(p);
            var s = new List<int>();
            foreach (var tensor in layer.State)
            {
                s.Add(state);
                state = checked(state + (int)tensor.Count);
            }
            StateOffsets.Add(s);
        }
        ActivationElements = offset;
        ArgmaxElements = argmax;
        MaskElements = mask;
        SavedElements = saved;
        ParameterElements = parameters;
        StateElements = state;
    }

    /// <summary>
    /// The relu layer the plan fuses into layer <paramref name="producer"/>, or −1. The plan comes from
    /// the Dsl; this re-checks what sharing a slot relies on (the relu reads only the producer, has its
    /// shape and comes after it; the producer is neither the output nor the logits), so a plan this
    /// code does not understand is ignored rather than emitted wrong.
    /// </summary>
    private int CheckedFusion(int producer)
    {
        var layers = Network.Layers;
        var plan = layers[producer].Plan;
        int r = plan.ActivationLayer;
        if (plan.Activation != FusedActivation.Relu || r <= producer || r >= layers.Count) return -1;
        if (layers[producer].Kind is not (LayerKind.Conv or LayerKind.DepthwiseConv or LayerKind.Dense or LayerKind.BatchNorm)) return -1;
        var relu = layers[r];
        if (relu.Kind != LayerKind.Relu || relu.Plan.FusedInto != producer || relu.Inputs.Count != 1 || relu.Inputs[0] != producer) return -1;
        if (relu.OutputShape != layers[producer].OutputShape || producer == OutputIndex || producer == LossProducer) return -1;
        for (int i = 0; i < layers.Count; i++)
            if (i != r && layers[i].Inputs.Contains(producer)) return -1;
        return r;
    }

    /// <summary>
    /// The max pooling the plan fuses into conv or batchnorm <paramref name="producer"/>, or −1, re-checked
    /// like <see cref="CheckedFusion"/>: the pooling reads only the tensor the producer writes (its output,
    /// or its fused relu's), nothing else reads that tensor, and it is not the output or the logits.
    /// </summary>
    private int CheckedPoolFusion(int producer)
    {
        var layers = Network.Layers;
        int q = layers[producer].Plan.PoolLayer;
        if (q <= producer || q >= layers.Count || layers[producer].Kind is not (LayerKind.Conv or LayerKind.BatchNorm)) return -1;
        int written = FusedRelu[producer] >= 0 ? FusedRelu[producer] : producer;
        if (layers[producer].Plan.HasActivation && FusedRelu[producer] < 0) return -1; // the plan's relu was not followed
        var pool = layers[q];
        if (pool.Kind != LayerKind.MaxPool || pool.Plan.FusedInto != producer || pool.Inputs.Count != 1 || pool.Inputs[0] != written) return -1;
        if (written == OutputIndex || written == LossProducer || producer == OutputIndex || producer == LossProducer) return -1;
        for (int i = 0; i < layers.Count; i++)
            if (i != q && layers[i].Inputs.Contains(written)) return -1;
        return q;
    }

    public NetworkModel Network { get; }
    public int InputElements { get; }
    public List<int> ActivationOffset { get; } = new();
    public List<int> ArgmaxOffset { get; } = new();
    public List<int> MaskOffset { get; } = new();
    public List<int> SavedOffset { get; } = new();
    public List<List<int>> ParameterOffsets { get; } = new();
    public List<List<int>> StateOffsets { get; } = new();
    public int ActivationElements { get; }
    public int ArgmaxElements { get; }
    public int MaskElements { get; }
    public int SavedElements { get; }
    public int ParameterElements { get; }
    public int StateElements { get; }

    /// <summary>The layer whose output the training loss treats as logits: the last layer, or the
    /// input of a final softmax/logsoftmax (the loss fuses that softmax). −1 is the network input.</summary>
    public int LossProducer { get; }

    public int OutputIndex => Network.Layers.Count - 1;

    /// <summary>Per layer: the relu its kernel applies and whose slot it writes, or −1.</summary>
    public List<int> FusedRelu { get; } = new();

    /// <summary>Per conv or batchnorm: the max pooling its kernel applies and whose slot it writes, or −1.</summary>
    public List<int> FusedPool { get; } = new();

    /// <summary>Per layer: for a relu or pooling computed by the layer before it, that layer; −1 otherwise.</summary>
    public List<int> FusedInto { get; } = new();

    /// <summary>The layer whose output <paramref name="producer"/>'s kernel writes: its fused pooling, else
    /// its fused relu, else itself.</summary>
    public int WrittenTensor(int producer) =>
        producer < 0 ? producer : FusedPool[producer] >= 0 ? FusedPool[producer] : FusedRelu[producer] >= 0 ? FusedRelu[producer] : producer;

    public int OffsetOf(int producer) => producer < 0 ? 0 : ActivationOffset[producer];

    public int SizeOf(int producer) => producer < 0 ? InputElements : (int)Network.Layers[producer].OutputShape.ElementCount;

    public TensorShape ShapeOf(int producer) => producer < 0 ? Network.InputShape : Network.Layers[producer].OutputShape;

    /// <summary>Spatial dimensions as (D, H, W), padding missing leading dimensions with 1.</summary>
    public static int[] Spatial3(TensorShape shape)
    {
        var dims = shape.Dimensions.Skip(1).ToList();
        while (dims.Count < 3) dims.Insert(0, 1);
        return dims.ToArray();
    }

    public static int[] Pad3(IReadOnlyList<int> values, int fill)
    {
        var list = values.ToList();
        while (list.Count < 3) list.Insert(0, fill);
        return list.ToArray();
    }
}
