namespace CnnDsl.Runtime;

/// <summary>What <see cref="Evaluator.Evaluate"/> measured: overall accuracy (0..1) and the confusion matrix.</summary>
public sealed record EvaluationResult(double Accuracy, ConfusionMatrix Confusion);
