using System;
using System.Collections.Generic;
using System.Globalization;

namespace FashionMnist;

/// <summary>Command-line options; every value is checked, and a bad one is reported with the usage text.</summary>
internal sealed record Options
{
    public string Model { get; init; } = "fashionnet";
    public int? Epochs { get; init; }
    public int BatchSize { get; init; } = 64;
    public float? LearningRate { get; init; }
    public string? Optimizer { get; init; }
    public int Seed { get; init; }
    public string? DataDirectory { get; init; }
    public string OutputDirectory { get; init; } = System.IO.Path.Combine("out", "fashion-mnist");
    public int? TrainLimit { get; init; }
    public bool Resume { get; init; }
    public bool Help { get; init; }
    public string Device { get; init; } = "cpu";
    public int? Threads { get; init; }

    public const string Usage = """
        Train a network written in .cnn on Fashion-MNIST.

        usage: dotnet run -c Release --project examples/FashionMnist -- [options]

          --model NAME       lenet5 | fashionnet (default) | fashionnet-large
          --epochs N         epochs to train (default: per model, 10 / 6 / 15)
          --batch N          batch size (default 64)
          --lr X             learning rate (default: per model)
          --optimizer NAME   sgd | adam | adamw (default: per model)
          --seed N           seed for initial weights, shuffling and dropout (default 0)
          --data DIR         directory with the four Fashion-MNIST IDX files (.gz or plain);
                             default: /usr/share/datasets/fashion-mnist (Debian's
                             dataset-fashion-mnist), then the per-user cache
          --out DIR          where the checkpoint and pictures go (default out/fashion-mnist)
          --train-limit N    train on the first N training images only (quick checks)
          --resume           continue from the checkpoint in --out
          --device NAME      cpu (default) | gpu (CUDA through ILGPU; without a GPU it says
                             why and trains on the CPU) | gpu-cpu (ILGPU's CPU accelerator: slow,
                             for checking the GPU kernels)
          --threads N        CPU threads for the kernels (default: CNNDSL_THREADS, else all cores)
          --help             this text
        """;

    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count) throw new OptionException($"{arg} needs a value");
                return args[++i];
            }
            options = arg switch
            {
                "--model" => options with { Model = Choice(arg, Value(), "lenet5", "fashionnet", "fashionnet-large") },
                "--epochs" => options with { Epochs = Integer(arg, Value(), 1) },
                "--batch" => options with { BatchSize = Integer(arg, Value(), 2) },
                "--lr" => options with { LearningRate = Positive(arg, Value()) },
                "--optimizer" => options with { Optimizer = Choice(arg, Value(), "sgd", "adam", "adamw") },
                "--seed" => options with { Seed = Integer(arg, Value(), 0) },
                "--data" => options with { DataDirectory = Value() },
                "--out" => options with { OutputDirectory = Value() },
                "--train-limit" => options with { TrainLimit = Integer(arg, Value(), 1) },
                "--resume" => options with { Resume = true },
                "--device" => options with { Device = Choice(arg, Value(), "cpu", "gpu", "gpu-cpu") },
                "--threads" => options with { Threads = Integer(arg, Value(), 1, CnnDsl.Runtime.ComputeThreads.MaxCount) },
                "--help" or "-h" => options with { Help = true },
                _ => throw new OptionException($"unknown option '{arg}'"),
            };
        }
        return options;
    }

    private static string Choice(string option, string value, params string[] choices)
    {
        foreach (var choice in choices)
            if (string.Equals(choice, value, StringComparison.OrdinalIgnoreCase)) return choice;
        throw new OptionException($"{option} must be one of {string.Join(", ", choices)}, not '{value}'");
    }

    private static int Integer(string option, string value, int min, int max = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            throw new OptionException(max == int.MaxValue
                ? $"{option} needs a whole number of at least {min}, not '{value}'"
                : $"{option} needs a whole number from {min} to {max}, not '{value}'");
        return n;
    }

    private static float Positive(string option, string value)
    {
        if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float x) || !(x > 0) || float.IsInfinity(x))
            throw new OptionException($"{option} needs a positive number, not '{value}'");
        return x;
    }
}

internal sealed class OptionException(string message) : Exception(message);
