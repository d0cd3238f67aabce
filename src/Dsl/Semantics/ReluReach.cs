using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Semantics;

/// <summary>What a layer means for the initialisation of the weights before it: He-uniform when they
/// feed a relu-like activation, possibly through layers that keep the sign pattern of their input.</summary>
internal enum Reach
{
    ReluLike,
    PassesThrough,
    Stops,
}

internal sealed class ReluReach : ILayerVisitor<Reach>
{
    public static readonly ReluReach Instance = new();

    public Reach Visit(ConvolutionLayer layer) => Reach.Stops;
    public Reach Visit(PoolingLayer layer) => layer.Function switch
    {
        PoolFunction.Max or PoolFunction.Average => Reach.PassesThrough,
        PoolFunction.Lp => Reach.Stops,
    };
    public Reach Visit(AdaptivePoolingLayer layer) => Reach.Stops;
    public Reach Visit(MaxoutLayer layer) => Reach.Stops;
    public Reach Visit(ActivationLayer layer) => layer.IsReluLike ? Reach.ReluLike : Reach.Stops;
    public Reach Visit(SoftmaxLayer layer) => Reach.Stops;
    public Reach Visit(BatchNormLayer layer) => Reach.PassesThrough;
    public Reach Visit(DropoutLayer layer) => Reach.PassesThrough;
    public Reach Visit(DenseLayer layer) => Reach.Stops;
    public Reach Visit(ReshapeLayer layer) => layer.Kind switch
    {
        ReshapeKind.Identity => Reach.PassesThrough,
        ReshapeKind.Flatten => Reach.Stops,
    };
    public Reach Visit(MergeLayer layer) => Reach.Stops;
}
