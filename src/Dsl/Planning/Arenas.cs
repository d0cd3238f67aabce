using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Planning;

/// <summary>Where the tensors of a network live, elements per example: a training arena that keeps every
/// tensor the backward pass reads, and an inference arena planned from liveness.</summary>
internal static class Arenas
{
    /// <summary>The network input, then every tensor a kernel writes, in order: a fused chain
    /// (conv → relu → maxpool) stores only its last output, the others are never written.</summary>
    public static Arena Training(NetworkModel network, IReadOnlyList<LayerStep> steps)
    {
        var layers = network.Layers;
        var offsets = Enumerable.Repeat(-1, layers.Count + 1).ToArray();
        var slots = new List<TensorSlot>();
        int input = (int)network.InputShape.ElementCount;
        offsets[0] = 0;
        slots.Add(new TensorSlot(-1, 0, input, "the network input"));
        int end = input;
        for (int i = 0; i < layers.Count; i++)
        {
            if (steps[i].IsFused) continue;
            int tensor = steps[i].Writes;
            int size = (int)layers[tensor].OutputShape.ElementCount;
            offsets[tensor + 1] = end;
            slots.Add(new TensorSlot(tensor, end, size, Writers(layers, steps, i)));
            end = checked(end + size);
        }
        return new Arena(slots.ToEquatableArray(), offsets.ToEquatableArray(), end);
    }

    /// <summary>
    /// A tensor's slot is free again after the last layer that reads it, so a chain needs about its two
    /// largest neighbouring tensors instead of all of them. A layer's output never shares memory with its
    /// own inputs (they are still being read), and the network output lives to the end. First fit.
    /// </summary>
    public static Arena Inference(NetworkModel network, IReadOnlyList<LayerStep> steps)
    {
        var layers = network.Layers;
        int count = layers.Count;
        int Tensor(int producer) => producer < 0 ? producer : steps[producer].Writes;
        int Size(int tensor) => tensor < 0 ? (int)network.InputShape.ElementCount : (int)layers[tensor].OutputShape.ElementCount;

        var lastRead = Enumerable.Repeat(-1, count + 1).ToArray(); // by tensor + 1
        for (int i = 0; i < count; i++)
        {
            if (steps[i].IsFused) continue; // computed by its producer: reads nothing itself
            foreach (int input in layers[i].Inputs)
            {
                int t = Tensor(input) + 1;
                lastRead[t] = Math.Max(lastRead[t], i);
            }
        }
        lastRead[Tensor(count - 1) + 1] = int.MaxValue;

        var live = new List<(int Offset, int Size, int LastRead)>();
        int end = 0;
        int Place(int written, int size, int lastReadBy)
        {
            // slots whose last reader came before this layer are free; first fit among the rest
            live.RemoveAll(slot => slot.LastRead < written);
            int offset = 0;
            foreach (var slot in live.OrderBy(s => s.Offset))
            {
                if (offset + size <= slot.Offset) break;
                offset = Math.Max(offset, slot.Offset + slot.Size);
            }
            live.Add((offset, size, lastReadBy));
            end = Math.Max(end, checked(offset + size));
            return offset;
        }

        var offsets = Enumerable.Repeat(-1, count + 1).ToArray();
        var slots = new List<TensorSlot>();
        offsets[0] = Place(-1, Size(-1), lastRead[0]);
        slots.Add(new TensorSlot(-1, offsets[0], Size(-1), "the network input"));
        for (int i = 0; i < count; i++)
        {
            if (steps[i].IsFused) continue; // placed with its producer
            int tensor = Tensor(i);
            int last = lastRead[tensor + 1];
            int offset = Place(i, Size(tensor), last >= 0 ? last : i);
            offsets[tensor + 1] = offset;
            slots.Add(new TensorSlot(tensor, offset, Size(tensor), Writers(layers, steps, i)));
        }
        return new Arena(slots.ToEquatableArray(), offsets.ToEquatableArray(), end);
    }

    /// <summary>A slot with every layer in its own: the GPU computes each layer with its own kernels.</summary>
    public static Arena PerLayer(NetworkModel network, Func<int, string> writers)
    {
        var layers = network.Layers;
        var offsets = new int[layers.Count + 1];
        var slots = new List<TensorSlot>();
        int input = (int)network.InputShape.ElementCount;
        slots.Add(new TensorSlot(-1, 0, input, "the network input"));
        int end = input;
        for (int i = 0; i < layers.Count; i++)
        {
            int size = (int)layers[i].OutputShape.ElementCount;
            offsets[i + 1] = end;
            slots.Add(new TensorSlot(i, end, size, writers(i)));
            end = checked(end + size);
        }
        return new Arena(slots.ToEquatableArray(), offsets.ToEquatableArray(), end);
    }

    /// <summary>The layers whose work a slot holds: <c>conv1 → relu1 → maxpool1</c>.</summary>
    private static string Writers(IReadOnlyList<LayerModel> layers, IReadOnlyList<LayerStep> steps, int producer)
    {
        var step = steps[producer];
        var chain = new List<string> { layers[producer].Name };
        if (step.HasRelu) chain.Add(layers[step.ReluLayer].Name);
        if (step.HasPool) chain.Add(layers[step.PoolLayer].Name);
        return string.Join(" → ", chain);
    }
}
