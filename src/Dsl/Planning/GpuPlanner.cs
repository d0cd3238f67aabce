using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Planning;

/// <summary>
/// How the GPU back end runs a network: one-thread-per-output kernels per layer, a conv or dense forward
/// applying a relu that only it feeds (backward runs the relu's own kernel: masking dy inside the
/// gradient kernels measured slower on the H100), every layer's output in its own slot.
/// </summary>
internal static class GpuPlanner
{
    /// <summary>Batchnorm keeps mean, 1/std and two per-channel sums of its backward, per channel.</summary>
    private const int SavedPerChannel = 4;

    public static GpuPlan Plan(NetworkModel network, List<int>[] readers, int lossProducer)
    {
        var layers = network.Layers;
        var steps = new GpuStep[layers.Count];
        for (int i = 0; i < layers.Count; i++) steps[i] = new GpuStep();
        int saved = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer is ConvolutionLayer or DenseLayer)
            {
                int relu = Planner.FusableRelu(layers, readers, lossProducer, i, notes: null);
                if (relu >= 0)
                {
                    steps[i] = steps[i] with { ReluLayer = relu };
                    steps[relu] = steps[relu] with { ForwardFused = true };
                }
            }
            if (layer is ConvolutionLayer { PaddingMode: not PaddingMode.Zeros }) steps[i] = steps[i] with { ScatterInputGradient = true };
            if (layer is BatchNormLayer)
            {
                steps[i] = steps[i] with { SavedOffset = saved };
                saved += SavedPerChannel * layer.OutputShape.Channels;
            }
        }
        var producerOf = new int[layers.Count];
        for (int i = 0; i < layers.Count; i++)
            if (steps[i].ReluLayer >= 0) producerOf[steps[i].ReluLayer] = i;
        for (int i = 0; i < layers.Count; i++)
        {
            string description = steps[i].ForwardFused ? $"its forward by {layers[producerOf[i]].Name}'s kernel, its backward its own"
                : steps[i].ReluLayer >= 0 ? $"{layers[steps[i].ReluLayer].Name} in the forward kernel"
                : steps[i].ScatterInputGradient ? "the input gradient scattered with atomics"
                : "";
            steps[i] = steps[i] with { Description = description };
        }
        var arena = Arenas.PerLayer(network, i =>
            steps[i].ForwardFused ? $"{layers[i].Name}, written by {layers[producerOf[i]].Name}'s kernel"
            : steps[i].ReluLayer >= 0 ? $"{layers[i].Name}'s gradient (its values are never written: {layers[steps[i].ReluLayer].Name} holds the relu of them)"
            : layers[i].Name);
        return new GpuPlan(steps.ToEquatableArray(), arena, saved);
    }
}
