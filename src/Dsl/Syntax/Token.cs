using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Syntax;

public enum TokenKind
{
    Identifier,
    Number,
    /// <summary><c>x</c> or <c>×</c> between two parts of a dimension literal (<c>5x5x6</c>).</summary>
    Times,
    Arrow,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    Comma,
    Equals,
    Colon,
    Dot,
    Plus,
    Minus,
    Star,
    Slash,
    Newline,
    Invalid,
    EndOfFile,
}

public readonly record struct Token(TokenKind Kind, string Text, int Start, int Length)
{
    public int End => Start + Length;

    public bool Is(TokenKind kind) => Kind == kind;

    /// <summary>Case-insensitive keyword test (keywords and layer names ignore case).</summary>
    public bool IsKeyword(string keyword) =>
        Kind == TokenKind.Identifier && string.Equals(Text, keyword, System.StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        TokenKind.Newline => "end of line",
        TokenKind.EndOfFile => "end of file",
        TokenKind.Identifier => $"'{Text}'",
        TokenKind.Number => $"number {Text}",
        _ => $"'{Text}'",
    };
}
