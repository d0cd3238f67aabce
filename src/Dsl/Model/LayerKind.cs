namespace CnnDsl.Dsl.Model;

public enum LayerKind
{
    Conv,
    DepthwiseConv,
    MaxPool,
    AvgPool,
    LpPool,
    AdaptiveMaxPool,
    AdaptiveAvgPool,
    GlobalMaxPool,
    GlobalAvgPool,
    Maxout,
    Relu,
    LeakyRelu,
    Elu,
    Sigmoid,
    Tanh,
    Softmax,
    LogSoftmax,
    BatchNorm,
    Dropout,
    Flatten,
    Dense,
    Identity,
    Concat,
    Add,
}

public enum PaddingMode
{
    Zeros,
    Reflect,
    Replicate,
    Circular,
}
