using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Model
{
    public enum ReshapeKind
    {
        /// <summary>C×… to one flat vector (the memory layout does not change).</summary>
        Flatten,
        /// <summary>y = x.</summary>
        Identity,
    }

    /// <summary><c>flatten</c> and <c>identity</c>: the values pass unchanged, only the shape may.</summary>
    public sealed record ReshapeLayer : LayerModel
    {
        public ReshapeKind Kind { get; init; }

        public override string Keyword => Kind switch
        {
            ReshapeKind.Flatten => "flatten",
            ReshapeKind.Identity => "identity",
        };

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Layers that change the shape, not the values.</summary>
    internal sealed class ReshapingFamily : VariantFamily<ReshapeKind>
    {
        public override string Name => "reshaping";

        protected override LayerKeyword Define(ReshapeKind kind) => kind switch
        {
            ReshapeKind.Flatten => new LayerKeyword("flatten", ArgumentRule.None, false, new OptionSpec[0],
                "Flattens C×(D×)H×W into one vector per example, channel-major (the memory does not move). PyTorch nn.Flatten.",
                "C·D·H·W (flat)", "none"),
            ReshapeKind.Identity => new LayerKeyword("identity", ArgumentRule.None, false, new OptionSpec[0],
                "y = x (a placeholder, e.g. in a branch). PyTorch nn.Identity.", "the input's shape", "none"),
        };

        protected override LayerModel? Build(LayerBuilder b, ReshapeKind kind)
        {
            var output = b.Input;
            if (kind == ReshapeKind.Flatten)
            {
                if (!b.CheckSize(b.Input.ElementCount)) return null;
                output = TensorShape.Of((int)b.Input.ElementCount);
            }
            return new ReshapeLayer { Kind = kind, Definition = b.Keyword.Name, InputShape = b.Input, OutputShape = output };
        }
    }
}
