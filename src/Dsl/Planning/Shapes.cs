using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Model;
using CnnDsl.Planning;

namespace CnnDsl.Dsl.Planning;

/// <summary>Layer shapes as the kernels see them: every spatial tensor as D×H×W (1-D: 1×1×L, 2-D: 1×H×W).</summary>
public static class Shapes
{
    /// <summary>Spatial dimensions as (D, H, W), missing leading dimensions 1.</summary>
    public static int[] Spatial3(TensorShape shape) => Pad3(shape.Dimensions.Skip(1).ToList(), 1);

    /// <summary>Per-dimension values as (D, H, W), missing leading ones <paramref name="fill"/>.</summary>
    public static int[] Pad3(IReadOnlyList<int> values, int fill)
    {
        var list = values.ToList();
        while (list.Count < 3) list.Insert(0, fill);
        return list.ToArray();
    }

    internal static ConvShape Of(ConvolutionLayer conv)
    {
        var i = Spatial3(conv.InputShape);
        var o = Spatial3(conv.OutputShape);
        var k = Pad3(conv.Kernel, 1);
        var s = Pad3(conv.Stride, 1);
        var d = Pad3(conv.Dilation, 1);
        var p = Pad3(conv.PadBefore, 0);
        return new ConvShape(conv.InputShape.Channels, i[0], i[1], i[2], conv.OutputShape.Channels, o[0], o[1], o[2],
            k[0], k[1], k[2], s[0], s[1], s[2], d[0], d[1], d[2], p[0], p[1], p[2], conv.Groups, conv.PaddingMode == PaddingMode.Zeros);
    }
}
