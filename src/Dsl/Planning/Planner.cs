using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;
using CnnDsl.Planning;

namespace CnnDsl.Dsl.Planning;

/// <summary>
/// Makes the execution plan of a checked network, once: which kernel runs each layer, which relu and
/// max-pooling layers are computed by the kernel before them, the backward hand-offs, where every tensor
/// lives in training and in inference, and how the GPU runs it. Everything downstream reads the plan.
/// </summary>
internal static class Planner
{
    public static NetworkPlan Plan(NetworkModel network)
    {
        var layers = network.Layers;
        int count = layers.Count;
        var notes = new List<PlanNote>();
        int lossProducer = LossProducer(layers);
        var readers = Readers(layers);

        var steps = new LayerStep[count];
        for (int i = 0; i < count; i++)
        {
            var (forward, backward, declined) = layers[i].Accept(KernelChooser.Instance);
            steps[i] = new LayerStep { Kernel = forward, BackwardKernel = backward, Writes = i, Description = forward.Name() };
            if (declined != null) notes.Add(new PlanNote(i, declined));
        }

        for (int p = 0; p < count; p++)
        {
            int r = FusableRelu(layers, readers, lossProducer, p, notes);
            if (r < 0) continue;
            steps[p] = steps[p] with { ReluLayer = r, Writes = r, Description = steps[p].Description + " + relu" };
            steps[r] = Fused(steps[r], p, layers);
        }
        for (int p = 0; p < count; p++)
        {
            int q = FusableMaxPool(layers, readers, steps, lossProducer, p, notes);
            if (q < 0) continue;
            steps[p] = steps[p] with { PoolLayer = q, Writes = q, Description = steps[p].Description + " + maxpool" };
            steps[q] = Fused(steps[q], p, layers);
            if (steps[p].HasRelu) steps[steps[p].ReluLayer] = steps[steps[p].ReluLayer] with { Writes = q };
        }

        var training = Arenas.Training(network, steps);
        var inference = Arenas.Inference(network, steps);

        // batchnorm backward: write dx where nothing else adds to it; take the input convolution's weight gradient
        for (int i = 0; i < count; i++)
        {
            if (layers[i] is not BatchNormLayer || !WritesInputGradient(layers, readers, lossProducer, i)) continue;
            steps[i] = steps[i] with { OverwritesInputGradient = true };
            int conv = ConvolutionGivingWeightGradient(layers, steps, lossProducer, i, notes);
            if (conv < 0) continue;
            steps[i] = steps[i] with { TakesWeightGradientOf = conv };
            steps[conv] = steps[conv] with { WeightGradientTakenBy = i };
        }

        var memory = new LayerMemory[count];
        int argmax = 0, mask = 0, saved = 0, parameters = 0, state = 0;
        for (int i = 0; i < count; i++)
        {
            var (argmaxElements, maskElements, savedElements) = layers[i].Accept(BackwardState.Instance);
            var parameterOffsets = new int[layers[i].Parameters.Count];
            for (int p = 0; p < parameterOffsets.Length; p++)
            {
                parameterOffsets[p] = parameters;
                parameters = checked(parameters + (int)layers[i].Parameters[p].Count);
            }
            var stateOffsets = new int[layers[i].State.Count];
            for (int s = 0; s < stateOffsets.Length; s++)
            {
                stateOffsets[s] = state;
                state = checked(state + (int)layers[i].State[s].Count);
            }
            memory[i] = new LayerMemory(argmaxElements > 0 ? argmax : -1, maskElements > 0 ? mask : -1, savedElements > 0 ? saved : -1,
                parameterOffsets.ToEquatableArray(), stateOffsets.ToEquatableArray());
            argmax = checked(argmax + argmaxElements);
            mask = checked(mask + maskElements);
            saved = checked(saved + savedElements);
        }

        return new NetworkPlan
        {
            Steps = steps.ToEquatableArray(),
            Memory = memory.ToEquatableArray(),
            Training = training,
            Inference = inference,
            ArgmaxElements = argmax,
            MaskElements = mask,
            SavedElements = saved,
            ParameterElements = parameters,
            StateElements = state,
            LossProducer = lossProducer,
            Gpu = GpuPlanner.Plan(network, readers, lossProducer),
            Notes = notes.OrderBy(n => n.Layer).ToEquatableArray(),
        };
    }

    private static LayerStep Fused(LayerStep step, int producer, IReadOnlyList<LayerModel> layers) =>
        step with { Kernel = CpuKernel.Fused, BackwardKernel = CpuKernel.Fused, FusedInto = producer, Description = "fused into " + layers[producer].Name };

    /// <summary>The last layer, or the input of a final softmax/logsoftmax, which the loss fuses.</summary>
    internal static int LossProducer(IReadOnlyList<LayerModel> layers)
    {
        var last = layers[layers.Count - 1];
        return last is SoftmaxLayer ? last.Inputs[0] : last.Index;
    }

    /// <summary>Per tensor (index + 1; 0 is the network input): the layers that read it, each once.</summary>
    internal static List<int>[] Readers(IReadOnlyList<LayerModel> layers)
    {
        var readers = new List<int>[layers.Count + 1];
        for (int i = 0; i < readers.Length; i++) readers[i] = new List<int>();
        foreach (var layer in layers)
            foreach (int producer in layer.Inputs.Distinct())
                readers[producer + 1].Add(layer.Index);
        return readers;
    }

    private static bool IsOutputOrLogits(IReadOnlyList<LayerModel> layers, int lossProducer, int p) => p == layers.Count - 1 || p == lossProducer;

    /// <summary>
    /// The relu that conv, depthwise conv, dense or batchnorm <paramref name="p"/> can apply as its kernel's
    /// epilogue, or −1. The pre-activation tensor is then never stored, so the relu must be its only reader;
    /// and it must not be the network output or the loss's logits, which are read from their own slot.
    /// </summary>
    internal static int FusableRelu(IReadOnlyList<LayerModel> layers, List<int>[] readers, int lossProducer, int p, List<PlanNote>? notes)
    {
        var producer = layers[p];
        if (producer is not (ConvolutionLayer or DenseLayer or BatchNormLayer)) return -1;
        var reading = readers[p + 1];
        var relu = reading.Select(r => layers[r]).FirstOrDefault(r => r is ActivationLayer);
        if (relu is not ActivationLayer activation) return -1;
        string? why =
            activation.Function != ActivationFunction.Relu ? "the kernels' epilogue computes relu only" :
            reading.Count != 1 ? $"{producer.Name}'s output is also read by {string.Join(", ", reading.Where(r => r != relu.Index).Select(r => layers[r].Name))}, so it is stored" :
            IsOutputOrLogits(layers, lossProducer, p) ? $"{producer.Name}'s output is the network's output or the loss's logits" :
            null;
        if (why == null) return relu.Index;
        notes?.Add(new PlanNote(relu.Index, $"{relu.Name} is not fused into {producer.Name}: {why}"));
        return -1;
    }

    /// <summary>
    /// The max pooling that conv or batchnorm <paramref name="p"/> can compute on each plane of its output
    /// (after its fused relu, if any), or −1: the pooling must be the only reader of that output, which is
    /// then never stored, and its windows must stay inside it (no padding, no ceil-mode overhang).
    /// </summary>
    private static int FusableMaxPool(IReadOnlyList<LayerModel> layers, List<int>[] readers, LayerStep[] steps, int lossProducer, int p, List<PlanNote> notes)
    {
        var producer = layers[p];
        if (producer is not (ConvolutionLayer or BatchNormLayer)) return -1;
        int written = steps[p].HasRelu ? steps[p].ReluLayer : p;
        var reading = readers[written + 1];
        if (reading.Select(r => layers[r]).FirstOrDefault(r => r is PoolingLayer { Function: PoolFunction.Max }) is not PoolingLayer pool) return -1;
        string? why =
            producer is ConvolutionLayer { Depthwise: true } ? "depthwise convolutions have no pooling kernel" :
            reading.Count != 1 ? $"{layers[written].Name}'s output is also read by {string.Join(", ", reading.Where(r => r != pool.Index).Select(r => layers[r].Name))}, so it is stored" :
            IsOutputOrLogits(layers, lossProducer, p) || IsOutputOrLogits(layers, lossProducer, written) ? $"{layers[written].Name}'s output is the network's output or the loss's logits" :
            !WindowsInside(pool) ? "its windows reach past the input (padding or ceil mode)" :
            null;
        if (why == null) return pool.Index;
        notes.Add(new PlanNote(pool.Index, $"{pool.Name} is not fused into {producer.Name}: {why}"));
        return -1;
    }

    private static bool WindowsInside(PoolingLayer pool)
    {
        var input = Shapes.Spatial3(pool.InputShape);
        var output = Shapes.Spatial3(pool.OutputShape);
        var window = Shapes.Pad3(pool.Window, 1);
        var stride = Shapes.Pad3(pool.Stride, 1);
        var pad = Shapes.Pad3(pool.Pad, 0);
        for (int a = 0; a < 3; a++)
            if (!PoolFusion.WindowsInside(pad[a], output[a], stride[a], window[a], input[a])) return false;
        return true;
    }

    /// <summary>A batchnorm whose input gradient nothing else adds to: its input is another layer's output
    /// (not the network input, whose gradient TrainStep skips, nor the logits, whose gradient the loss
    /// writes), and it is that output's only reader.</summary>
    private static bool WritesInputGradient(IReadOnlyList<LayerModel> layers, List<int>[] readers, int lossProducer, int i)
    {
        var layer = layers[i];
        if (layer.Inputs.Count != 1) return false;
        int x = layer.Inputs[0];
        return x >= 0 && x != lossProducer && readers[x + 1].Count == 1;
    }

    /// <summary>
    /// The convolution whose weight gradient batchnorm <paramref name="i"/> takes from its input gradient,
    /// plane by plane, in TrainStep; or −1. It is the first block of a network: a convolution of the network
    /// input (whose gradient TrainStep skips) that only the batchnorm reads, of a shape
    /// <see cref="ConvShape.CanGiveWeightGradientToBatchNorm"/> allows. Its dx then never reaches memory,
    /// and the convolution has no backward pass in TrainStep.
    /// </summary>
    private static int ConvolutionGivingWeightGradient(IReadOnlyList<LayerModel> layers, LayerStep[] steps, int lossProducer, int i, List<PlanNote> notes)
    {
        int x = layers[i].Inputs[0];
        if (i > lossProducer || layers[x] is not ConvolutionLayer { Depthwise: false } conv || conv.Inputs.Count != 1 || conv.Inputs[0] != -1) return -1;
        if (steps[x].HasRelu || steps[x].HasPool) return -1;
        string? why = Shapes.Of(conv).WhyNoWeightGradientForBatchNorm();
        if (why == null) return x;
        notes.Add(new PlanNote(i, $"{layers[i].Name} does not take {conv.Name}'s weight gradient in TrainStep ({conv.Name}'s input gradient would be written and read back): {why}"));
        return -1;
    }
}
