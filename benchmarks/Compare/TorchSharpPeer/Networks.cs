using System;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnDsl.Benchmarks.TorchSharpPeer;

/// <summary>The benchmark networks in TorchSharp, layer for layer as App/models/*.cnn and torch_peer.py.</summary>
public static class Networks
{
    public const int Classes = 10;

    public static (nn.Module<Tensor, Tensor> Model, long[] InputShape) Create(string name) => name switch
    {
        "lenet5" => (LeNet5(), new long[] { 1, 28, 28 }),
        "vggish" => (VggIsh(), new long[] { 3, 32, 32 }),
        "convstack16" => (ConvStack16(), new long[] { 3, 224, 224 }),
        _ => throw new ArgumentException($"unknown network {name}"),
    };

    private static nn.Module<Tensor, Tensor> LeNet5() => nn.Sequential(
        nn.Conv2d(1, 6, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, Classes));

    private static nn.Module<Tensor, Tensor> VggIsh() => nn.Sequential(
        Conv3x3(3, 32), nn.ReLU(), Conv3x3(32, 32), nn.ReLU(), nn.MaxPool2d(2),
        Conv3x3(32, 64), nn.ReLU(), Conv3x3(64, 64), nn.ReLU(), nn.MaxPool2d(2),
        Conv3x3(64, 128), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 4 * 4, Classes));

    private static nn.Module<Tensor, Tensor> Conv3x3(long inChannels, long outChannels) =>
        nn.Conv2d(inChannels, outChannels, 3, padding: 1);

    // (kernel, filters, stride, padding) of the 16 bias-free convolutions, relu between them.
    private static readonly (int Kernel, int Filters, int Stride, int Padding)[] ConvStack16Layers =
    {
        (7, 64, 2, 3), (3, 64, 1, 1), (3, 64, 1, 1), (3, 64, 1, 1), (3, 64, 1, 1),
        (3, 128, 2, 1), (3, 128, 1, 1), (3, 128, 1, 1), (3, 128, 1, 1),
        (3, 256, 2, 1), (3, 256, 1, 1), (3, 256, 1, 1), (3, 256, 1, 1),
        (3, 512, 2, 1), (3, 512, 1, 1), (3, 512, 1, 1),
    };

    private static nn.Module<Tensor, Tensor> ConvStack16()
    {
        var layers = new System.Collections.Generic.List<nn.Module<Tensor, Tensor>>();
        long channels = 3;
        foreach (var (kernel, filters, stride, padding) in ConvStack16Layers)
        {
            if (layers.Count > 0) layers.Add(nn.ReLU());
            layers.Add(nn.Conv2d(channels, filters, kernel, stride: stride, padding: padding, bias: false));
            channels = filters;
        }
        return nn.Sequential(layers.ToArray());
    }
}
