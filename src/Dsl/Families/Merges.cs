using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Model
{
    public enum MergeOperation
    {
        /// <summary>Branches joined along channels (features).</summary>
        Concat,
        /// <summary>Branches summed element by element.</summary>
        Add,
    }

    /// <summary>The end of <c>concat { … }</c>, <c>add { … }</c> or <c>residual { … } shortcut { … }</c>:
    /// <see cref="LayerModel.Inputs"/> lists the branches' last layers in order.</summary>
    public sealed record MergeLayer : LayerModel
    {
        public MergeOperation Operation { get; init; }

        public override string Keyword => Operation switch
        {
            MergeOperation.Concat => "concat",
            MergeOperation.Add => "add",
        };

        public override T Accept<T>(ILayerVisitor<T> visitor) => visitor.Visit(this);
    }
}

namespace CnnDsl.Dsl.Families
{
    /// <summary>
    /// Merges of branches. They are structure, not layer keywords (the parser reads <c>concat</c>,
    /// <c>add</c> and <c>residual</c> blocks), so the checker calls these shape rules with the branches' ends.
    /// </summary>
    internal static class MergeFamily
    {
        public const string ConcatDocumentation =
            "`concat { [branch] [branch] … }`: every branch reads the same input; their outputs are joined along channels (features). " +
            "The branches must agree in everything but channels. PyTorch torch.cat(dim=1).";

        public const string AddDocumentation =
            "`add { [branch] [branch] … }`: every branch reads the same input; their outputs, all of one shape, are summed. " +
            "`residual { body } shortcut { … }` is add of the body and the shortcut (the identity when omitted).";

        /// <summary>One branch's end: its last layer (−1: the merge's own input) and shape.</summary>
        public readonly record struct End(int Index, TensorShape Shape);

        public static MergeLayer? Concat(IReadOnlyList<End> ends, SourceSpan at, List<CnnDiagnostic> diagnostics)
        {
            var first = ends[0].Shape;
            for (int b = 1; b < ends.Count; b++)
            {
                var shape = ends[b].Shape;
                if (shape.Rank != first.Rank || !shape.Dimensions.Skip(1).SequenceEqual(first.Dimensions.Skip(1)))
                {
                    string describe = string.Join(", ", ends.Select((e, i) => $"branch {i + 1} ends in {e.Shape}"));
                    diagnostics.Add(DiagnosticDescriptors.ConcatMismatch.Create(at,
                        $"concat joins along channels, so every branch must end with the same {(first.IsFlat ? "rank" : "spatial size")}: {describe}"));
                    return null;
                }
            }
            var dims = first.Dimensions.ToArray();
            long channels = ends.Sum(e => (long)e.Shape.Channels);
            if (channels * first.SpatialSize > int.MaxValue)
            {
                diagnostics.Add(DiagnosticDescriptors.ShapeTooLarge.Create(at, "concat makes a tensor that is too large"));
                return null;
            }
            dims[0] = (int)channels;
            return Merge(MergeOperation.Concat, ends, TensorShape.Of(dims), $"concat of {ends.Count} branches");
        }

        public static MergeLayer? Add(IReadOnlyList<End> ends, SourceSpan at, List<CnnDiagnostic> diagnostics)
        {
            var output = ends[0].Shape;
            for (int b = 1; b < ends.Count; b++)
            {
                if (ends[b].Shape != output)
                {
                    string describe = string.Join(", ", ends.Select((e, i) => $"branch {i + 1} ends in {e.Shape}"));
                    diagnostics.Add(DiagnosticDescriptors.AddMismatch.Create(at, $"add needs every branch to end in the same shape: {describe}"));
                    return null;
                }
            }
            return Merge(MergeOperation.Add, ends, output, $"add of {ends.Count} branches");
        }

        /// <summary>A residual's add of its body and shortcut (<paramref name="shortcutWritten"/>: not the identity).</summary>
        public static MergeLayer? Residual(End body, End shortcut, bool shortcutWritten, SourceSpan at, List<CnnDiagnostic> diagnostics)
        {
            if (body.Shape != shortcut.Shape)
            {
                string message = !shortcutWritten
                    ? $"residual body ends in {body.Shape} but its input is {shortcut.Shape}; add {SuggestShortcut(shortcut.Shape, body.Shape)}"
                    : $"residual body ends in {body.Shape} but the shortcut ends in {shortcut.Shape}; they must match to be added";
                diagnostics.Add(DiagnosticDescriptors.AddMismatch.Create(at, message));
                return null;
            }
            return Merge(MergeOperation.Add, new[] { body, shortcut }, body.Shape, shortcutWritten ? "residual add" : "residual add (identity shortcut)");
        }

        private static MergeLayer Merge(MergeOperation operation, IReadOnlyList<End> ends, TensorShape output, string definition) => new()
        {
            Operation = operation,
            Definition = definition,
            Inputs = ends.Select(e => e.Index).ToEquatableArray(),
            InputShape = ends[0].Shape,
            OutputShape = output,
        };

        private static string SuggestShortcut(TensorShape from, TensorShape to)
        {
            if (from.Rank == to.Rank && !from.IsFlat)
            {
                var strides = new List<int>();
                for (int i = 0; i < from.SpatialRank; i++)
                {
                    int a = from.Spatial(i), b = to.Spatial(i);
                    int s = b > 0 ? (a + b - 1) / b : 1;
                    strides.Add(Math.Max(s, 1));
                }
                string kernel = string.Join("x", Enumerable.Repeat("1", from.SpatialRank));
                string stride = strides.All(s => s == 1) ? "" : " s" + (strides.All(s => s == strides[0]) ? strides[0].ToString() : string.Join("x", strides));
                return $"`shortcut {{ conv {kernel}x{to.Channels}{stride} }}`";
            }
            return "a `shortcut { … }` that produces " + to;
        }
    }
}
