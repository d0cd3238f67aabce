using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace CnnDsl.Runtime;

/// <summary>
/// Saves and restores everything needed to resume training: the model checkpoint at <c>path</c> (an ordinary
/// <see cref="Checkpoint"/>, loadable on its own for inference) and the optimizer's state in a second safetensors file
/// <c>&lt;path without extension&gt;.optim.safetensors</c> (<see cref="OptimizerPath"/>), whose tensors are the
/// optimizer's <see cref="IStatefulOptimizer.State"/> and whose metadata holds <c>algorithm</c>, <c>step</c>,
/// <c>learning_rate</c> and <c>epochs_completed</c>. Both files carry the same <c>run</c> id and
/// <c>epochs_completed</c> so a mismatched pair is detected. Each file is saved atomically; the optimizer file is
/// written first. <see cref="Load(string, IReadOnlyList{Parameter}, IReadOnlyList{StateTensor}, IStatefulOptimizer)"/>
/// validates both files before changing the model or the optimizer.
/// </summary>
public static class TrainingCheckpoint
{
    public const string EpochsCompletedKey = "epochs_completed";
    private const string RunKey = "run";

    public static string OptimizerPath(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path) + ".optim.safetensors");

    public static void Save(string path, IModel model, IStatefulOptimizer optimizer, int epochsCompleted,
                            IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, model.Parameters, model.State, optimizer, epochsCompleted, metadata);

    public static void Save(string path, IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state,
                            IStatefulOptimizer optimizer, int epochsCompleted, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.InitializeState(parameters);
        string run = Guid.NewGuid().ToString("N");
        string epochs = epochsCompleted.ToString(CultureInfo.InvariantCulture);
        var optimizerMetadata = new Dictionary<string, string>
        {
            ["format"] = "cnndsl-optimizer",
            ["algorithm"] = optimizer.Algorithm,
            ["step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            [EpochsCompletedKey] = epochs,
            [RunKey] = run,
        };
        Checkpoint.Save(OptimizerPath(path), Array.Empty<Parameter>(), optimizer.State, optimizerMetadata);

        var modelMetadata = new Dictionary<string, string>();
        if (metadata is not null) foreach (var (k, v) in metadata) modelMetadata[k] = v;
        modelMetadata[EpochsCompletedKey] = epochs;
        modelMetadata[RunKey] = run;
        Checkpoint.Save(path, parameters, state, modelMetadata);
    }

    /// <summary>Restores model and optimizer; returns the number of epochs completed (the next epoch to run) and the
    /// model file's metadata.</summary>
    public static (int EpochsCompleted, IReadOnlyDictionary<string, string> Metadata) Load(string path, IModel model, IStatefulOptimizer optimizer) =>
        Load(path, model.Parameters, model.State, optimizer);

    public static (int EpochsCompleted, IReadOnlyDictionary<string, string> Metadata) Load(
        string path, IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state, IStatefulOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        string optimizerPath = OptimizerPath(path);
        if (!File.Exists(optimizerPath))
            throw new FileNotFoundException($"Cannot resume from '{path}': the optimizer state '{optimizerPath}' is missing.", optimizerPath);
        optimizer.InitializeState(parameters);

        var model = Checkpoint.Prepare(path, parameters, state);
        var optim = Checkpoint.Prepare(optimizerPath, Array.Empty<Parameter>(), optimizer.State);

        string Get(IReadOnlyDictionary<string, string> m, string file, string key) =>
            m.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"Checkpoint '{file}': metadata has no '{key}'.");
        if (Get(optim.Metadata, optimizerPath, "algorithm") != optimizer.Algorithm)
            throw new InvalidDataException($"Checkpoint '{optimizerPath}': saved by {optim.Metadata["algorithm"]} but resuming with {optimizer.Algorithm}.");
        if (Get(optim.Metadata, optimizerPath, RunKey) != Get(model.Metadata, path, RunKey))
            throw new InvalidDataException($"Checkpoint '{optimizerPath}' does not belong to '{path}' (different save run).");
        if (!int.TryParse(Get(model.Metadata, path, EpochsCompletedKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out int epochs)
            || !long.TryParse(Get(optim.Metadata, optimizerPath, "step"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long step)
            || !float.TryParse(Get(optim.Metadata, optimizerPath, "learning_rate"), NumberStyles.Float, CultureInfo.InvariantCulture, out float lr))
            throw new InvalidDataException($"Checkpoint '{path}': epochs_completed, step or learning_rate is not a number.");

        model.Apply();
        optim.Apply();
        optimizer.StepCount = step;
        optimizer.LearningRate = lr;
        return (epochs, model.Metadata);
    }
}
