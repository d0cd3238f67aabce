using System.Globalization;
using System.Linq;

namespace CnnDsl.Dsl.Model;

/// <summary>A per-example shape: [N] (flat), [C, L], [C, H, W] or [C, D, H, W]; no batch dimension.</summary>
public sealed record TensorShape(EquatableArray<int> Dimensions)
{
    public static TensorShape Of(params int[] dimensions) => new(new EquatableArray<int>(dimensions));

    public int Rank => Dimensions.Count;

    public bool IsFlat => Rank == 1;

    /// <summary>Channels for spatial tensors, features for flat ones.</summary>
    public int Channels => Dimensions[0];

    public int SpatialRank => Rank - 1;

    public int Spatial(int i) => Dimensions[1 + i];

    /// <summary>Elements per channel (1 for flat tensors).</summary>
    public long SpatialSize
    {
        get
        {
            long s = 1;
            for (int i = 1; i < Rank; i++) s = Saturate(s, Dimensions[i]);
            return s;
        }
    }

    public long ElementCount
    {
        get
        {
            long s = 1;
            foreach (int d in Dimensions) s = Saturate(s, d);
            return s;
        }
    }

    /// <summary>Products stop at long.MaxValue instead of wrapping, so size checks see a huge tensor as huge.</summary>
    private static long Saturate(long product, int dimension) =>
        dimension > 0 && product > long.MaxValue / dimension ? long.MaxValue : product * dimension;

    public override string ToString() => string.Join("x", Dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    public string SpatialText => string.Join("x", Dimensions.Skip(1).Select(d => d.ToString(CultureInfo.InvariantCulture)));
}
