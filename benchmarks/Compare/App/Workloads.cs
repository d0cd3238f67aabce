using System;
using System.Collections.Generic;
using CnnDsl.Runtime;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>A benchmark network: its key in the peers' protocol, its generated CnnDsl class, its
/// multiply-accumulates per image (from the generated constant, which the compiler computes from the shapes).</summary>
public sealed record Network(string Key, string Title, long MultiplyAdds, Func<int, IModel> Create);

public enum Mode { Train, Infer }

/// <summary>One row of the table: a network, train step or inference, and a batch size.</summary>
public sealed record Workload(Network Network, Mode Mode, int Batch)
{
    /// <summary>Batch 1 is a latency question; bigger batches a throughput one.</summary>
    public bool IsLatency => Batch == 1;

    /// <summary>The mode as the peers' protocol writes it.</summary>
    public string ModeWord => Mode == Mode.Train ? "train" : "infer";

    public string Id => $"{Network.Key}/{ModeWord}/{Batch}";

    public string Title => $"{Network.Title} {(Mode == Mode.Train ? "train step" : "inference")}, batch {Batch}";

    public string Unit => IsLatency ? "µs" : "images/s";

    /// <summary>The number the table shows for a round's seconds per iteration.</summary>
    public double Value(double secondsPerIteration) => IsLatency ? secondsPerIteration * 1e6 : Batch / secondsPerIteration;
}

public static class Workloads
{
    // The generated model classes (LeNet5, VggIsh, ConvStack16 from models/*.cnn) share their names with
    // these fields, hence the namespace-qualified Compare.LeNet5 for the classes.
    public static readonly Network LeNet5 = new("lenet5", "LeNet-5", Compare.LeNet5.MultiplyAdds, seed => new Compare.LeNet5(seed));
    public static readonly Network VggIsh = new("vggish", "VGG-ish CIFAR", Compare.VggIsh.MultiplyAdds, seed => new Compare.VggIsh(seed));
    public static readonly Network ConvStack16 = new("convstack16", "16-conv stack 224²", Compare.ConvStack16.MultiplyAdds, seed => new Compare.ConvStack16(seed));

    public static readonly IReadOnlyList<Workload> All = new Workload[]
    {
        new(LeNet5, Mode.Train, 64),
        new(LeNet5, Mode.Train, 256),
        new(LeNet5, Mode.Infer, 1),
        new(LeNet5, Mode.Infer, 256),
        new(VggIsh, Mode.Train, 64),
        new(VggIsh, Mode.Infer, 1),
        new(ConvStack16, Mode.Infer, 1),
    };
}
