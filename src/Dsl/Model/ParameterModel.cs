namespace CnnDsl.Dsl.Model;

/// <summary>A learned tensor: name (<c>conv1.weight</c>), PyTorch-layout shape, and fans for initialisation.</summary>
public sealed record ParameterModel(string Name, EquatableArray<int> Shape, long Count, int FanIn, int FanOut, bool IsBias);

/// <summary>A buffer saved with the weights but not learned (batchnorm running statistics).</summary>
public sealed record StateModel(string Name, EquatableArray<int> Shape, long Count, bool IsCounter);
