using CnnDsl.Dsl.Model;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>The family emitter of each layer record.</summary>
internal sealed class LayerEmitters : ILayerVisitor<LayerEmitter>
{
    private static readonly LayerEmitters s_instance = new();

    public static LayerEmitter For(LayerModel layer) => layer.Accept(s_instance);

    public LayerEmitter Visit(ConvolutionLayer layer) => ConvolutionEmitter.Instance;
    public LayerEmitter Visit(PoolingLayer layer) => PoolingEmitter.Instance;
    public LayerEmitter Visit(AdaptivePoolingLayer layer) => AdaptivePoolingEmitter.Instance;
    public LayerEmitter Visit(MaxoutLayer layer) => MaxoutEmitter.Instance;
    public LayerEmitter Visit(ActivationLayer layer) => ActivationEmitter.Instance;
    public LayerEmitter Visit(SoftmaxLayer layer) => SoftmaxEmitter.Instance;
    public LayerEmitter Visit(BatchNormLayer layer) => BatchNormEmitter.Instance;
    public LayerEmitter Visit(DropoutLayer layer) => DropoutEmitter.Instance;
    public LayerEmitter Visit(DenseLayer layer) => DenseEmitter.Instance;
    public LayerEmitter Visit(ReshapeLayer layer) => ReshapeEmitter.Instance;
    public LayerEmitter Visit(MergeLayer layer) => MergeEmitter.Instance;
}
