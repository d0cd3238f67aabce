using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Semantics;

namespace CnnDsl.Dsl.Model
{
    /// <summary><c>dropout</c>: in training, each element is zeroed with probability <see cref="Rate"/> and the rest scaled by 1/(1 − rate).</summary>
    public sealed record DropoutLayer : LayerModel
    {
        public double Rate { get; init; }

        public override string Keyword => "dropout";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Regularisation by dropout.</summary>
    internal sealed class DropoutFamily : LayerFamily
    {
        public override string Name => "dropout";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("dropout", ArgumentRule.OptionalScalar, false, new[] { OptionSpec.Scalar("rate") },
                "Inverted dropout: in training each element is zeroed with probability p (default 0.5) and the rest scaled by 1/(1 − p); " +
                "the identity in inference: `dropout 0.3`. PyTorch nn.Dropout(p).",
                "the input's shape", "none", defaultScalar: 0.5),
        };

        internal override LayerModel? Build(LayerBuilder b)
        {
            double rate = b.Scalar;
            if (rate < 0 || rate >= 1)
            {
                b.Report(DiagnosticDescriptors.BadNumber, b.Syntax.Argument?.Span ?? b.Syntax.Span, $"dropout rate must be at least 0 and below 1, not {Evaluator.Format(rate)}");
                return null;
            }
            return new DropoutLayer
            {
                Rate = rate,
                Definition = b.DefinitionWithScalar(),
                InputShape = b.Input,
                OutputShape = b.Input,
            };
        }
    }
}
