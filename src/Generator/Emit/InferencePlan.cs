using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Generator.Emit;

/// <summary>
/// Where each tensor lives during inference (<c>Forward</c>), planned from liveness: a tensor's slot
/// is free again after the last layer that reads it, so a chain needs about its two largest
/// neighbouring tensors instead of all of them. Training keeps every output for backward and uses
/// <see cref="ComputeLayout.ActivationOffset"/> instead. A layer's output never shares memory with its
/// own inputs (they are still being read), and the network output lives to the end.
/// </summary>
internal sealed class InferencePlan
{
    public InferencePlan(ComputeLayout layout)
    {
        var layers = layout.Network.Layers;
        int count = layers.Count;
        // a fused conv/dense writes its relu's (or pooling's) slot: the chain names that tensor
        int Tensor(int producer) => layout.WrittenTensor(producer);

        var lastRead = new Dictionary<int, int> { [-1] = -1 };
        for (int i = 0; i < count; i++)
        {
            if (layout.FusedInto[i] >= 0) continue; // computed by its producer: reads nothing itself
            foreach (int input in layers[i].Inputs)
            {
                int tensor = Tensor(input);
                lastRead[tensor] = Math.Max(lastRead.TryGetValue(tensor, out int seen) ? seen : -1, i);
            }
        }
        lastRead[Tensor(layout.OutputIndex)] = int.MaxValue;

        var offsets = new int[count];
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

        InputOffset = Place(-1, layout.InputElements, lastRead[-1]);
        for (int i = 0; i < count; i++)
        {
            if (layout.FusedInto[i] >= 0) continue; // placed with its producer
            int tensor = Tensor(i);
            int offset = Place(i, layout.SizeOf(tensor), lastRead.TryGetValue(tensor, out int last) ? last : i);
            offsets[i] = offset;
            for (int j = i + 1; j < count; j++)
                if (layout.FusedInto[j] == i) offsets[j] = offset;
        }
        Offsets = offsets;
        Elements = end;
    }

    /// <summary>Per layer: the offset (per example) of its output in the inference arena.</summary>
    public IReadOnlyList<int> Offsets { get; }

    public int InputOffset { get; }

    /// <summary>Elements per example of the inference arena.</summary>
    public int Elements { get; }

    public int OffsetOf(int producer) => producer < 0 ? InputOffset : Offsets[producer];
}
