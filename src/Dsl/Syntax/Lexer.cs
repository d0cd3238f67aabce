using System.Collections.Generic;

namespace CnnDsl.Dsl.Syntax;

/// <summary>
/// Splits .cnn text into tokens in one linear pass (a fuzzed 100 KB line must not cost quadratic
/// time). Comments vanish; line breaks are tokens because a new line continues a sequence. The
/// letter <c>x</c> is a dimension separator only between a digit or <c>}</c> and a digit or <c>{</c>,
/// so <c>3x3x{c}</c> and <c>{k}x{k}</c> are dimension literals while <c>maxout</c> stays a word.
/// </summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        int n = text.Length;
        while (i < n)
        {
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                int start = i;
                if (c == '\r' && i + 1 < n && text[i + 1] == '\n') i++;
                i++;
                tokens.Add(new Token(TokenKind.Newline, "\n", start, i - start));
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\uFEFF')
            {
                i++;
                continue;
            }
            if (c == '#' || (c == '/' && i + 1 < n && text[i + 1] == '/'))
            {
                while (i < n && text[i] != '\r' && text[i] != '\n') i++;
                continue;
            }
            if (IsDimensionSeparator(text, i))
            {
                tokens.Add(new Token(TokenKind.Times, text.Substring(i, 1), i, 1));
                i++;
                continue;
            }
            if (IsIdentifierStart(c))
            {
                int start = i;
                while (i < n && IsIdentifierPart(text[i])) i++;
                tokens.Add(new Token(TokenKind.Identifier, text.Substring(start, i - start), start, i - start));
                continue;
            }
            if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(text[i + 1])))
            {
                int start = i;
                i = ScanNumber(text, i);
                tokens.Add(new Token(TokenKind.Number, text.Substring(start, i - start), start, i - start));
                continue;
            }
            if (c == '-' && i + 1 < n && text[i + 1] == '>')
            {
                tokens.Add(new Token(TokenKind.Arrow, "->", i, 2));
                i += 2;
                continue;
            }
            TokenKind kind = c switch
            {
                '→' => TokenKind.Arrow,
                '{' => TokenKind.LeftBrace,
                '}' => TokenKind.RightBrace,
                '[' => TokenKind.LeftBracket,
                ']' => TokenKind.RightBracket,
                '(' => TokenKind.LeftParen,
                ')' => TokenKind.RightParen,
                ',' => TokenKind.Comma,
                '=' => TokenKind.Equals,
                ':' => TokenKind.Colon,
                '.' => TokenKind.Dot,
                '+' => TokenKind.Plus,
                '-' => TokenKind.Minus,
                '*' => TokenKind.Star,
                '/' => TokenKind.Slash,
                _ => TokenKind.Invalid,
            };
            if (kind == TokenKind.Invalid && char.IsHighSurrogate(c) && i + 1 < n && char.IsLowSurrogate(text[i + 1]))
            {
                tokens.Add(new Token(kind, text.Substring(i, 2), i, 2));
                i += 2;
                continue;
            }
            tokens.Add(new Token(kind, text.Substring(i, 1), i, 1));
            i++;
        }
        tokens.Add(new Token(TokenKind.EndOfFile, string.Empty, n, 0));
        return tokens;
    }

    private static int ScanNumber(string text, int i)
    {
        int n = text.Length;
        while (i < n && IsDigit(text[i])) i++;
        if (i + 1 < n && text[i] == '.' && IsDigit(text[i + 1]))
        {
            i++;
            while (i < n && IsDigit(text[i])) i++;
        }
        if (i < n && (text[i] == 'e' || text[i] == 'E'))
        {
            int j = i + 1;
            if (j < n && (text[j] == '+' || text[j] == '-')) j++;
            if (j < n && IsDigit(text[j]))
            {
                i = j;
                while (i < n && IsDigit(text[i])) i++;
            }
        }
        return i;
    }

    private static bool IsDimensionSeparator(string text, int i)
    {
        char c = text[i];
        if (c != 'x' && c != 'X' && c != '×') return false;
        if (i == 0 || i + 1 >= text.Length) return false;
        char before = text[i - 1];
        char after = text[i + 1];
        bool leftOk = IsDigit(before) || before == '}';
        bool rightOk = IsDigit(after) || after == '{';
        // `×` always separates dimensions; a plain x only inside a literal, so `x1` words still lex.
        if (c == '×') return rightOk || leftOk;
        if (!leftOk || !rightOk) return false;
        return true;
    }

    internal static bool IsDigit(char c) => c >= '0' && c <= '9';

    internal static bool IsIdentifierStart(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

    internal static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || IsDigit(c);
}
