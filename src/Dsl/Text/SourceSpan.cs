namespace CnnDsl.Dsl.Text;

/// <summary>
/// A range of a .cnn file: character offset and length, plus 0-based line/column of both ends
/// (Roslyn's LinePosition convention; messages add one when printing).
/// </summary>
public readonly record struct SourceSpan(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public int End => Start + Length;

    public static SourceSpan Empty => default;

    /// <summary>The smallest span covering both.</summary>
    public SourceSpan Union(SourceSpan other)
    {
        if (Length == 0 && Start == 0 && StartLine == 0 && StartColumn == 0 && EndLine == 0 && EndColumn == 0) return other;
        var first = other.Start < Start ? other : this;
        var last = other.End > End ? other : this;
        return new SourceSpan(first.Start, last.End - first.Start, first.StartLine, first.StartColumn, last.EndLine, last.EndColumn);
    }

    public override string ToString() => $"({StartLine + 1},{StartColumn + 1})-({EndLine + 1},{EndColumn + 1})";
}
