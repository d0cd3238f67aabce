using System;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Gpu;

namespace FashionMnist;

/// <summary>A network with the training settings that reach its accuracy target; options may override them.</summary>
internal sealed record Recipe(Func<int, IModel> Create, int Epochs, string Optimizer, float LearningRate, float WeightDecay, DataAugmentation Augmentation)
{
    public static Recipe For(string model) => model switch
    {
        // Adam suits the plain (no batchnorm) LeNet-5.
        "lenet5" => new Recipe(seed => new LeNet5(seed), 10, "adamw", 1e-3f, 1e-4f, DataAugmentation.None),
        // SGD with Nesterov momentum and a cosine schedule for the batchnorm networks.
        "fashionnet" => new Recipe(seed => new FashionNet(seed), 6, "sgd", 0.02f, 5e-4f, DataAugmentation.None),
        "fashionnet-large" => new Recipe(seed => new FashionNetLarge(seed), 15, "sgd", 0.02f, 5e-4f, new DataAugmentation(HorizontalFlip: true)),
        _ => throw new OptionException($"unknown model '{model}'"),
    };

    /// <summary>The GPU twin of a model made by <see cref="Create"/> (each generated class has its own ToDevice).</summary>
    public GpuModel ToDevice(IModel model, GpuDevice device) => model switch
    {
        LeNet5 m => m.ToDevice(device),
        FashionNet m => m.ToDevice(device),
        FashionNetLarge m => m.ToDevice(device),
        _ => throw new ArgumentException($"no GPU twin for {model.Name}"),
    };

    public IStatefulOptimizer CreateOptimizer(string name, float learningRate) => name switch
    {
        "sgd" => new Sgd(learningRate, momentum: 0.9f, nesterov: true, weightDecay: WeightDecay),
        "adam" => new Adam(learningRate, weightDecay: WeightDecay),
        _ => new AdamW(learningRate, weightDecay: WeightDecay),
    };
}
