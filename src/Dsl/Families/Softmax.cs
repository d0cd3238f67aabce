using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Model
{
    /// <summary><c>softmax</c> or <c>logsoftmax</c> over the channels (features) at every position.</summary>
    public sealed record SoftmaxLayer : LayerModel
    {
        /// <summary>log-softmax instead of softmax.</summary>
        public bool Log { get; init; }

        public override string Keyword => Log ? "logsoftmax" : "softmax";

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Softmax and log-softmax over channels. A final one is fused into the training loss.</summary>
    internal sealed class SoftmaxFamily : LayerFamily
    {
        public override string Name => "softmax";

        public override IReadOnlyList<LayerKeyword> Keywords { get; } = new[]
        {
            new LayerKeyword("softmax", ArgumentRule.None, false, new OptionSpec[0],
                "eˣ / Σ eˣ over the channels (features) at every position. PyTorch nn.Softmax(dim=1). As the last layer, training fuses it with the cross-entropy loss.",
                "the input's shape", "none"),
            new LayerKeyword("logsoftmax", ArgumentRule.None, false, new OptionSpec[0],
                "x − log Σ eˣ over the channels (features) at every position. PyTorch nn.LogSoftmax(dim=1). As the last layer, training fuses it with the loss.",
                "the input's shape", "none"),
        };

        internal override LayerModel? Build(LayerBuilder b) => new SoftmaxLayer
        {
            Log = b.Keyword.Name == "logsoftmax",
            Definition = b.Keyword.Name,
            InputShape = b.Input,
            OutputShape = b.Input,
        };
    }
}
