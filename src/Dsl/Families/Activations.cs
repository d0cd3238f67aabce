using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Model
{
    /// <summary>The element-wise activation functions.</summary>
    public enum ActivationFunction
    {
        Relu,
        Sigmoid,
        Tanh,
        /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
        LeakyRelu,
        /// <summary>x for x &gt; 0, α·(eˣ − 1) otherwise.</summary>
        Elu,
        /// <summary>x for x &gt; 0, a·x otherwise, with learned slopes a (one, or one per channel).</summary>
        PRelu,
    }

    /// <summary>An element-wise activation: the output has the input's shape.</summary>
    public sealed record ActivationLayer : LayerModel
    {
        public ActivationFunction Function { get; init; }

        /// <summary>leakyrelu's slope, elu's α (0 for the others).</summary>
        public double Alpha { get; init; }

        /// <summary>prelu: one learned slope per channel (<c>prelu c</c>) rather than one in all.</summary>
        public bool PerChannel { get; init; }

        public override string Keyword => Families.ActivationFamily.KeywordOf(Function);

        /// <summary>Weights feeding a relu-like activation start He-uniform.</summary>
        public bool IsReluLike => Function switch
        {
            ActivationFunction.Relu or ActivationFunction.LeakyRelu or ActivationFunction.Elu or ActivationFunction.PRelu => true,
            ActivationFunction.Sigmoid or ActivationFunction.Tanh => false,
        };

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>Element-wise activations.</summary>
    internal sealed class ActivationFamily : VariantFamily<ActivationFunction>
    {
        public override string Name => "activations";

        public static string KeywordOf(ActivationFunction function) => function switch
        {
            ActivationFunction.Relu => "relu",
            ActivationFunction.Sigmoid => "sigmoid",
            ActivationFunction.Tanh => "tanh",
            ActivationFunction.LeakyRelu => "leakyrelu",
            ActivationFunction.Elu => "elu",
            ActivationFunction.PRelu => "prelu",
        };

        protected override LayerKeyword Define(ActivationFunction function)
        {
            string name = KeywordOf(function);
            return function switch
            {
                ActivationFunction.Relu => Plain(name, "max(x, 0). PyTorch nn.ReLU."),
                ActivationFunction.Sigmoid => Plain(name, "1 / (1 + e⁻ˣ). PyTorch nn.Sigmoid."),
                ActivationFunction.Tanh => Plain(name, "tanh x. PyTorch nn.Tanh."),
                ActivationFunction.LeakyRelu => new LayerKeyword(name, ArgumentRule.OptionalScalar, false, new[] { OptionSpec.Scalar("slope") },
                    "x for x > 0, slope·x otherwise; slope defaults to 0.01: `leakyrelu 0.2`. PyTorch nn.LeakyReLU(negative_slope).",
                    SameShape, "none", defaultScalar: 0.01),
                ActivationFunction.Elu => new LayerKeyword(name, ArgumentRule.OptionalScalar, false, new[] { OptionSpec.Scalar("alpha") },
                    "x for x > 0, α·(eˣ − 1) otherwise; α defaults to 1: `elu 0.5`. PyTorch nn.ELU(alpha).",
                    SameShape, "none", defaultScalar: 1.0),
                ActivationFunction.PRelu => new LayerKeyword(name, ArgumentRule.None, false, new[] { OptionSpec.Flag("c", "c") },
                    "x for x > 0, a·x otherwise, with a learned slope a, starting at 0.25: `prelu` (one slope), `prelu c` (one per channel, or feature). " +
                    "PyTorch nn.PReLU(num_parameters=1 or C, init=0.25).",
                    SameShape, "1 slope, or C with `c`"),
            };
        }

        private const string SameShape = "the input's shape";

        private static LayerKeyword Plain(string name, string documentation) =>
            new(name, ArgumentRule.None, false, new OptionSpec[0], "Element-wise " + documentation, SameShape, "none");

        protected override LayerModel? Build(LayerBuilder b, ActivationFunction function)
        {
            var layer = new ActivationLayer
            {
                Function = function,
                Alpha = b.Keyword.Argument == ArgumentRule.OptionalScalar ? b.Scalar : 0,
                Definition = b.DefinitionWithScalar(),
                InputShape = b.Input,
                OutputShape = b.Input,
            };
            if (function != ActivationFunction.PRelu) return layer;
            bool perChannel = b.Options.Has("c");
            int slopes = perChannel ? b.Input.Channels : 1;
            return layer with
            {
                PerChannel = perChannel,
                Definition = perChannel ? "prelu c" : "prelu",
                Parameters = EquatableArray.From(new ParameterModel("weight", EquatableArray.From(slopes), slopes, 1, 1, false, ParameterInit.Constant(0.25))),
                ParameterCount = slopes,
                ParameterFormula = slopes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }
}
