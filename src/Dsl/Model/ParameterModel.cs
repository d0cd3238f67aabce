namespace CnnDsl.Dsl.Model;

/// <summary>How a learned tensor starts: a constant, or uniform with a bound from its fans.</summary>
public enum InitKind
{
    /// <summary>Every element <see cref="ParameterInit.Value"/>.</summary>
    Constant,
    /// <summary>He-uniform (bound √(6 / fan-in)): weights that feed a relu-like activation.</summary>
    HeUniform,
    /// <summary>Glorot-uniform (bound √(6 / (fan-in + fan-out))).</summary>
    GlorotUniform,
}

public sealed record ParameterInit(InitKind Kind, double Value = 0)
{
    public static ParameterInit Zeros { get; } = new(InitKind.Constant, 0);
    public static ParameterInit Ones { get; } = new(InitKind.Constant, 1);
    public static ParameterInit Constant(double value) => new(InitKind.Constant, value);
}

/// <summary>A learned tensor: name (<c>conv1.weight</c>), PyTorch-layout shape, fans, and how it starts.
/// <see cref="FanInitialized"/> weights start He-uniform when they feed a relu-like activation and
/// Glorot-uniform otherwise (decided for the whole network, <see cref="Init"/> holds the outcome).</summary>
public sealed record ParameterModel(string Name, EquatableArray<int> Shape, long Count, int FanIn, int FanOut, bool IsBias, ParameterInit Init)
{
    public bool FanInitialized => Init.Kind != InitKind.Constant;
}

/// <summary>A buffer saved with the weights but not learned (batchnorm running statistics), and its starting value.</summary>
public sealed record StateModel(string Name, EquatableArray<int> Shape, long Count, bool IsCounter, double Initial = 0);
