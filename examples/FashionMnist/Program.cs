using System;
using System.Globalization;
using System.IO;
using System.Linq;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Gpu;
using FashionMnist;

// Train a .cnn network on Fashion-MNIST: load the data, train with per-epoch evaluation, keep a
// resumable checkpoint, draw the learning curve and the first layer's kernels.
Options options;
try
{
    options = Options.Parse(args);
}
catch (OptionException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}

if (options.Threads is int threads) ComputeThreads.Count = threads;

var recipe = Recipe.For(options.Model);
int epochs = options.Epochs ?? recipe.Epochs;
string optimizerName = options.Optimizer ?? recipe.Optimizer;
float learningRate = options.LearningRate ?? recipe.LearningRate;

Dataset train, test;
try
{
    (train, test) = CnnDsl.Runtime.FashionMnist.Load(options.DataDirectory);
}
catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
if (options.TrainLimit is int limit && limit < train.Count)
{
    train = new Dataset(train.Images.AsSpan(0, limit * train.SampleSize).ToArray(), train.Labels.AsSpan(0, limit).ToArray(),
        train.Channels, train.Height, train.Width, train.ClassCount, CnnDsl.Runtime.FashionMnist.ClassNames, train.ZeroPixelValue);
}

var cpuModel = recipe.Create(options.Seed);
IModel model = cpuModel;
GpuDevice? device = null;
if (options.Device == "gpu" && !GpuDevice.TryOpenCuda(out device, out string why))
    Console.Error.WriteLine($"{why} Training on the CPU back end.");
else if (options.Device == "gpu-cpu")
    device = GpuDevice.OpenCpuAccelerator();
using var gpuModel = device is null ? null : recipe.ToDevice(cpuModel, device);
if (gpuModel is not null)
{
    model = gpuModel;
    Console.WriteLine($"device: {device!.Description}");
}
var optimizer = recipe.CreateOptimizer(optimizerName, learningRate);
var schedule = new CosineAnnealing(learningRate, epochs);
Directory.CreateDirectory(options.OutputDirectory);
string checkpoint = Path.Combine(options.OutputDirectory, "model.safetensors");

int startEpoch = 0;
if (options.Resume)
{
    if (!File.Exists(checkpoint))
    {
        Console.Error.WriteLine($"error: --resume needs a checkpoint, but {checkpoint} does not exist");
        return 1;
    }
    try
    {
        startEpoch = TrainingCheckpoint.Load(checkpoint, model, optimizer).EpochsCompleted;
    }
    catch (InvalidDataException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
    Console.WriteLine($"resuming {model.Name} after epoch {startEpoch} of {epochs}");
}

Console.WriteLine($"{model.Name}: {model.Parameters.Sum(p => p.Length):N0} parameters; {train.Count:N0} training and {test.Count:N0} test images; " +
                  $"{epochs} epochs, batch {options.BatchSize}, {optimizerName} lr {learningRate.ToString(CultureInfo.InvariantCulture)} (cosine)");
var loader = new DataLoader(train, options.BatchSize, shuffle: true, seed: options.Seed, augmentation: recipe.Augmentation);
var trainer = new Trainer(model, optimizer, schedule);
var history = trainer.Fit(loader, test, epochs, startEpoch,
    epoch => TrainingCheckpoint.Save(checkpoint, model, optimizer, epoch.Epoch + 1));

double accuracy;
if (history.Count > 0)
{
    Plots.LearningCurve(history, Path.Combine(options.OutputDirectory, "learning-curve.png"));
    var last = history[^1];
    Console.WriteLine();
    Console.WriteLine(last.TestConfusion);
    accuracy = last.TestAccuracy ?? 0;
}
else
{
    accuracy = Evaluator.Evaluate(model, test, 1000).Accuracy;
}
var firstConvolution = cpuModel.Parameters.FirstOrDefault(p => p.Shape.Count == 4);
if (firstConvolution != null) Plots.KernelGrid(firstConvolution, Path.Combine(options.OutputDirectory, "kernels.png"));
Console.WriteLine($"checkpoint, learning curve and kernels in {options.OutputDirectory}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy: {accuracy:0.0000}"));
gpuModel?.Dispose();
device?.Dispose();
return 0;
