using System.Collections.Generic;

namespace CnnDsl.Dsl.Text;

/// <summary>The text of a .cnn file with a line index, so offsets become line/column spans.</summary>
public sealed class SourceText
{
    private readonly int[] _lineStarts;

    public SourceText(string text)
    {
        Text = text ?? string.Empty;
        var starts = new List<int> { 0 };
        for (int i = 0; i < Text.Length; i++)
        {
            char c = Text[i];
            if (c == '\r')
            {
                if (i + 1 < Text.Length && Text[i + 1] == '\n') i++;
                starts.Add(i + 1);
            }
            else if (c == '\n')
            {
                starts.Add(i + 1);
            }
        }
        _lineStarts = starts.ToArray();
    }

    public string Text { get; }

    public int Length => Text.Length;

    public int LineCount => _lineStarts.Length;

    public (int Line, int Column) Position(int offset)
    {
        if (offset < 0) offset = 0;
        if (offset > Text.Length) offset = Text.Length;
        int lo = 0, hi = _lineStarts.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return (lo, offset - _lineStarts[lo]);
    }

    public SourceSpan Span(int start, int length)
    {
        if (start < 0) start = 0;
        if (start > Text.Length) start = Text.Length;
        if (length < 0) length = 0;
        if (start + length > Text.Length) length = Text.Length - start;
        var (l1, c1) = Position(start);
        var (l2, c2) = Position(start + length);
        return new SourceSpan(start, length, l1, c1, l2, c2);
    }

    public string Slice(SourceSpan span) => Text.Substring(span.Start, span.Length);
}
