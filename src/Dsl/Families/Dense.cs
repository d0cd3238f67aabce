using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Model
{
    /// <summary><c>dense</c> (<c>fc</c>, <c>linear</c>): y = W·x + b on a flat input.</summary>
    public sealed record DenseLayer : LayerModel
    {
        public int Units { get; init; }
        public bool HasBias { get; init; }

        public override string Keyword => "dense";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Fully connected layers.</summary>
    internal sealed class DenseFamily : LayerFamily
    {
        public override string Name => "dense";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("dense", ArgumentRule.Count, true, new[] { CommonOptions.NoBias },
                "Fully connected: y = W·x + b on a flat input (add `flatten` or a global pooling before it): `dense 10`. PyTorch nn.Linear (weight units×in).",
                "units (flat)", "units·in weights + units biases (no biases with `nobias`)",
                argumentExample: "a number of units, e.g. `dense 10`", argumentName: "units", aliases: new[] { "fc", "linear" }),
        };

        internal override LayerModel? Build(LayerBuilder b)
        {
            int units = b.Argument![0];
            if (!b.Input.IsFlat)
            {
                b.Report(DiagnosticDescriptors.DenseOnSpatial, b.Syntax.Span,
                    $"`{LayerBuilder.Text(b.Syntax)}` needs a flat input but gets {b.Input} ({b.Origin}); add `flatten` (or a global pooling layer) before it");
                return null;
            }
            int features = b.Input.Channels;
            bool bias = !b.Options.Has("nobias");
            long weights = (long)units * features;
            if (!b.CheckSize(weights)) return null;
            var parameters = new List<ParameterModel> { new("weight", EquatableArray.From(units, features), weights, features, units, false, new ParameterInit(InitKind.GlorotUniform)) };
            if (bias) parameters.Add(new ParameterModel("bias", EquatableArray.From(units), units, features, units, true, ParameterInit.Zeros));
            return new DenseLayer
            {
                Units = units,
                HasBias = bias,
                Definition = "dense " + units + (bias ? "" : " nobias"),
                InputShape = b.Input,
                OutputShape = TensorShape.Of(units),
                Parameters = parameters.ToEquatableArray(),
                ParameterCount = weights + (bias ? units : 0),
                ParameterFormula = bias ? $"{units}·({features}+1)" : $"{units}·{features}",
                Macs = weights,
            };
        }
    }
}
