using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>Maxout: the maximum over consecutive groups of channels (pooling along the channel axis).</summary>
public static class Maxout
{
    // input: N×C×S → output: N×(C/k)×S (overwritten) with k = groupSize and S the flattened spatial size;
    // output channel c is the max over input channels c·k … c·k+k−1. argmax: like output, the winning
    // input channel (0 … C−1). Ties keep the lower channel, NaN wins.
    public static void Forward<T>(ReadOnlySpan<T> input, Span<T> output, Span<int> argmax, int batch, int inChannels, int groupSize, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outChannels = inChannels / groupSize;
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < outChannels; c++)
        {
            int o0 = (n * outChannels + c) * spatial;
            int first = c * groupSize;
            // channel-major sweeps keep every read contiguous
            input.Slice((n * inChannels + first) * spatial, spatial).CopyTo(output.Slice(o0, spatial));
            argmax.Slice(o0, spatial).Fill(first);
            for (int j = 1; j < groupSize; j++)
            {
                ReadOnlySpan<T> x = input.Slice((n * inChannels + first + j) * spatial, spatial);
                for (int s = 0; s < spatial; s++)
                {
                    T v = x[s];
                    if (v > output[o0 + s] || T.IsNaN(v)) { output[o0 + s] = v; argmax[o0 + s] = first + j; }
                }
            }
        }
    }

    // outputGradient, argmax: N×(C/k)×S; inputGradient: N×C×S (accumulated into the winning channel).
    public static void Backward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argmax, Span<T> inputGradient, int batch, int inChannels, int groupSize, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outChannels = inChannels / groupSize;
        for (int n = 0; n < batch; n++)
        for (int c = 0; c < outChannels; c++)
        {
            int o0 = (n * outChannels + c) * spatial;
            for (int s = 0; s < spatial; s++)
                inputGradient[(n * inChannels + argmax[o0 + s]) * spatial + s] += outputGradient[o0 + s];
        }
    }
}
