using System.Collections.Generic;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Semantics;

internal enum ArgumentRule
{
    /// <summary>No argument (relu, flatten, …).</summary>
    None,
    /// <summary>conv: kernel dims then filters.</summary>
    ConvKernel,
    /// <summary>dwconv: kernel dims, optional multiplier.</summary>
    DepthwiseKernel,
    /// <summary>pool window / adaptive output: one number or one per spatial dim.</summary>
    Window,
    /// <summary>maxout group size, dense units: one integer.</summary>
    Count,
    /// <summary>leakyrelu slope, elu alpha, dropout rate: one optional decimal.</summary>
    OptionalScalar,
}

/// <summary>What each layer keyword means: its kind, argument and the options it accepts.</summary>
internal sealed record LayerInfo(string Canonical, LayerKind Kind, ArgumentRule Argument, bool ArgumentRequired, string[] Options, double DefaultScalar = 0);

internal static class LayerCatalog
{
    private static readonly string[] ConvOptions =
    {
        "s", "stride", "p", "pad", "padding", "same", "valid", "full", "zeros", "reflect", "replicate", "circular",
        "d", "dilation", "g", "groups", "nobias",
    };

    private static readonly string[] DepthwiseOptions =
    {
        "s", "stride", "p", "pad", "padding", "same", "valid", "full", "zeros", "reflect", "replicate", "circular",
        "d", "dilation", "nobias",
    };

    private static readonly string[] PoolOptions = { "s", "stride", "p", "pad", "padding", "ceil" };

    private static readonly Dictionary<string, LayerInfo> ByKeyword = Build();

    private static Dictionary<string, LayerInfo> Build()
    {
        var none = new string[0];
        var layers = new[]
        {
            new LayerInfo("conv", LayerKind.Conv, ArgumentRule.ConvKernel, true, ConvOptions),
            new LayerInfo("dwconv", LayerKind.DepthwiseConv, ArgumentRule.DepthwiseKernel, true, DepthwiseOptions),
            new LayerInfo("maxpool", LayerKind.MaxPool, ArgumentRule.Window, true, PoolOptions),
            new LayerInfo("avgpool", LayerKind.AvgPool, ArgumentRule.Window, true, PoolOptions),
            new LayerInfo("lppool", LayerKind.LpPool, ArgumentRule.Window, true, new[] { "s", "stride", "norm", "ceil" }),
            new LayerInfo("adaptivemaxpool", LayerKind.AdaptiveMaxPool, ArgumentRule.Window, true, none),
            new LayerInfo("adaptiveavgpool", LayerKind.AdaptiveAvgPool, ArgumentRule.Window, true, none),
            new LayerInfo("globalmaxpool", LayerKind.GlobalMaxPool, ArgumentRule.None, false, none),
            new LayerInfo("globalavgpool", LayerKind.GlobalAvgPool, ArgumentRule.None, false, none),
            new LayerInfo("maxout", LayerKind.Maxout, ArgumentRule.Count, true, none),
            new LayerInfo("relu", LayerKind.Relu, ArgumentRule.None, false, none),
            new LayerInfo("sigmoid", LayerKind.Sigmoid, ArgumentRule.None, false, none),
            new LayerInfo("tanh", LayerKind.Tanh, ArgumentRule.None, false, none),
            new LayerInfo("softmax", LayerKind.Softmax, ArgumentRule.None, false, none),
            new LayerInfo("logsoftmax", LayerKind.LogSoftmax, ArgumentRule.None, false, none),
            new LayerInfo("leakyrelu", LayerKind.LeakyRelu, ArgumentRule.OptionalScalar, false, new[] { "slope" }, 0.01),
            new LayerInfo("elu", LayerKind.Elu, ArgumentRule.OptionalScalar, false, new[] { "alpha" }, 1.0),
            new LayerInfo("batchnorm", LayerKind.BatchNorm, ArgumentRule.None, false, new[] { "eps", "momentum" }),
            new LayerInfo("dropout", LayerKind.Dropout, ArgumentRule.OptionalScalar, false, new[] { "rate" }, 0.5),
            new LayerInfo("flatten", LayerKind.Flatten, ArgumentRule.None, false, none),
            new LayerInfo("dense", LayerKind.Dense, ArgumentRule.Count, true, new[] { "nobias" }),
            new LayerInfo("identity", LayerKind.Identity, ArgumentRule.None, false, none),
        };
        var map = new Dictionary<string, LayerInfo>();
        foreach (var layer in layers) map[layer.Canonical] = layer;
        map["bn"] = map["batchnorm"];
        map["fc"] = map["dense"];
        map["linear"] = map["dense"];
        return map;
    }

    public static bool TryGet(string keyword, out LayerInfo info) => ByKeyword.TryGetValue(keyword.ToLowerInvariant(), out info!);

    public static IEnumerable<string> Keywords => ByKeyword.Keys;

    /// <summary>Structural keywords, offered as suggestions too.</summary>
    public static readonly string[] StructureKeywords = { "repeat", "concat", "add", "residual", "input", "budget" };

    public static string KindName(LayerKind kind) => kind switch
    {
        LayerKind.Concat => "concat",
        LayerKind.Add => "add",
        _ => CanonicalOf(kind),
    };

    private static string CanonicalOf(LayerKind kind)
    {
        foreach (var info in ByKeyword.Values)
            if (info.Kind == kind) return info.Canonical;
        return kind.ToString().ToLowerInvariant();
    }

    public static bool IsActivation(LayerKind kind) => kind is LayerKind.Relu or LayerKind.LeakyRelu or LayerKind.Elu
        or LayerKind.Sigmoid or LayerKind.Tanh or LayerKind.Softmax or LayerKind.LogSoftmax;

    public static bool IsReluLike(LayerKind kind) => kind is LayerKind.Relu or LayerKind.LeakyRelu or LayerKind.Elu;
}
