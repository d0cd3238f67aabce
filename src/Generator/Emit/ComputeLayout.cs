using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Generator.Emit;

/// <summary>
/// The memory plan of one generated model, decided once at build time: where each layer's output,
/// gradient, argmax indices, dropout mask and batchnorm statistics live in their arenas (offsets per
/// example; the run-time batch size multiplies them), and where each parameter and state tensor lives.
/// Every layer output keeps its own slot because a training step needs them all for backward.
/// </summary>
internal sealed class ComputeLayout
{
    public ComputeLayout(NetworkModel network)
    {
        Network = network;
        InputElements = (int)network.InputShape.ElementCount;
        int offset = InputElements;
        int argmax = 0, mask = 0, saved = 0, parameters = 0, state = 0;
        foreach (var layer in network.Layers)
        {
            int size = (int)layer.OutputShape.ElementCount;
            ActivationOffset.Add(offset);
            offset = checked(offset + size);
            bool needsArgmax = layer.Kind is LayerKind.MaxPool or LayerKind.AdaptiveMaxPool or LayerKind.GlobalMaxPool or LayerKind.Maxout;
            ArgmaxOffset.Add(needsArgmax ? argmax : -1);
            if (needsArgmax) argmax = checked(argmax + size);
            MaskOffset.Add(layer.Kind == LayerKind.Dropout ? mask : -1);
            if (layer.Kind == LayerKind.Dropout) mask = checked(mask + size);
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

        var last = network.Layers[network.Layers.Count - 1];
        LossProducer = last.Kind is LayerKind.Softmax or LayerKind.LogSoftmax ? last.Inputs[0] : last.Index;
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
