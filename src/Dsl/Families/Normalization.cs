using System.Collections.Generic;
using System.Globalization;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Semantics;

namespace CnnDsl.Dsl.Model
{
    /// <summary><c>batchnorm</c>: per-channel normalisation over the batch and positions, a learned scale and shift.</summary>
    public sealed record BatchNormLayer : LayerModel
    {
        public double Epsilon { get; init; }
        public double Momentum { get; init; }

        public override string Keyword => "batchnorm";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Normalisation layers.</summary>
    internal sealed class NormalizationFamily : LayerFamily
    {
        public override string Name => "normalisation";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("batchnorm", ArgumentRule.None, false, new[]
                {
                    OptionSpec.Scalar("eps", "eps=1e-5", v => OptionSpec.Positive("eps", v)),
                    OptionSpec.Scalar("momentum", "momentum=0.1", v => v < 0 || v > 1 ? $"momentum must be between 0 and 1, not {Evaluator.Format(v)}" : null),
                },
                "Batch normalisation per channel: training normalises with the batch's mean and variance over the batch and positions and updates running " +
                "statistics (momentum 0.1); inference uses those. Scale starts at 1, shift at 0; `eps=` (1e-5), `momentum=`. PyTorch nn.BatchNorm1d/2d/3d.",
                "the input's shape", "2·C (scale and shift); running mean and variance are buffers, not parameters",
                aliases: new[] { "bn" }),
        };

        internal override LayerModel? Build(LayerBuilder b)
        {
            int channels = b.Input.Channels;
            double? writtenEps = b.Options.Scalar("eps"), writtenMomentum = b.Options.Scalar("momentum");
            double eps = writtenEps ?? 1e-5;
            double momentum = writtenMomentum ?? 0.1;
            var definition = "batchnorm";
            if (writtenEps != null) definition += " eps=" + eps.ToString("G6", CultureInfo.InvariantCulture);
            if (writtenMomentum != null) definition += " momentum=" + momentum.ToString("G6", CultureInfo.InvariantCulture);
            return new BatchNormLayer
            {
                Definition = definition,
                InputShape = b.Input,
                OutputShape = b.Input,
                Epsilon = eps,
                Momentum = momentum,
                Parameters = EquatableArray.From(
                    new ParameterModel("weight", EquatableArray.From(channels), channels, channels, channels, false, ParameterInit.Ones),
                    new ParameterModel("bias", EquatableArray.From(channels), channels, channels, channels, true, ParameterInit.Zeros)),
                State = EquatableArray.From(
                    new StateModel("running_mean", EquatableArray.From(channels), channels, false),
                    new StateModel("running_var", EquatableArray.From(channels), channels, false, Initial: 1),
                    new StateModel("num_batches_tracked", EquatableArray<int>.Empty, 1, true)),
                ParameterCount = 2L * channels,
                ParameterFormula = $"2·{channels}",
            };
        }
    }
}
