using System;
using System.Collections.Generic;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Syntax;

/// <summary>
/// Recursive descent over the token list. It is total: every input yields a tree and a list of
/// diagnostics, never an exception, and every loop consumes a token. After an error it skips to the
/// end of the line (without eating a closing brace that an outer construct is waiting for), so one
/// file reports all its errors. Sprache parses the <c>{expression}</c> sublanguage
/// (<see cref="ExpressionGrammar"/>); this layer is hand-written because Sprache has no error recovery.
/// </summary>
internal sealed class Parser
{
    private const int MaxNesting = 32;

    private readonly SourceText _source;
    private readonly List<Token> _tokens;
    private readonly List<CnnDiagnostic> _diagnostics;
    private int _position;
    private int _depth;

    public Parser(SourceText source, List<CnnDiagnostic> diagnostics)
    {
        _source = source;
        _tokens = Lexer.Tokenize(source.Text);
        _diagnostics = diagnostics;
    }

    private enum Closer
    {
        TopLevel,
        Brace,
        Bracket,
    }

    private Token Current => _tokens[_position];

    private Token Peek(int offset) => _tokens[Math.Min(_position + offset, _tokens.Count - 1)];

    private Token Previous => _tokens[Math.Max(_position - 1, 0)];

    public FileSyntax ParseFile()
    {
        var networks = new List<NetworkSyntax>();
        var blocks = new List<BlockSyntax>();
        while (true)
        {
            SkipNewlines();
            if (Current.Is(TokenKind.EndOfFile)) break;
            int before = _position;
            if (IsDeclarationStart("network"))
            {
                var network = ParseNetwork();
                if (network != null) networks.Add(network);
            }
            else if (IsDeclarationStart("block"))
            {
                var block = ParseBlock();
                if (block != null) blocks.Add(block);
            }
            else
            {
                Report(DiagnosticDescriptors.UnexpectedToken, Current,
                    $"expected `network Name` or `block name(...)` but found {Current.Describe()}");
                SkipToLineEnd();
            }
            if (_position == before) Advance();
        }
        return new FileSyntax(networks, blocks);
    }

    // ---- declarations -------------------------------------------------------------------

    private NetworkSyntax? ParseNetwork()
    {
        var keyword = Advance();
        if (!Current.Is(TokenKind.Identifier))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected the network's name after `network` but found {Current.Describe()}");
            SkipToLineEnd();
            ParseSequence(Closer.TopLevel); // still report errors in the body
            return null;
        }
        var name = Advance();
        string? ns = null;
        if (Current.IsKeyword("in"))
        {
            Advance();
            ns = ParseQualifiedName();
        }
        ExpectLineEnd("after the network header");
        var body = ParseSequence(Closer.TopLevel);
        var span = SpanOf(keyword).Union(body.Elements.Count > 0 ? body.Span : SpanOf(name));
        return new NetworkSyntax(name.Text, SpanOf(name), ns, body, span);
    }

    private string? ParseQualifiedName()
    {
        if (!Current.Is(TokenKind.Identifier))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected a namespace after `in` (e.g. `in My.Models`) but found {Current.Describe()}");
            return null;
        }
        var parts = new List<string> { Advance().Text };
        while (Current.Is(TokenKind.Dot) && Peek(1).Is(TokenKind.Identifier))
        {
            Advance();
            parts.Add(Advance().Text);
        }
        return string.Join(".", parts);
    }

    private BlockSyntax? ParseBlock()
    {
        var keyword = Advance();
        if (!Current.Is(TokenKind.Identifier))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected the block's name after `block` but found {Current.Describe()}");
            SkipBrokenDeclaration();
            return null;
        }
        var name = Advance();
        var parameters = new List<BlockParameterSyntax>();
        if (Current.Is(TokenKind.LeftParen))
        {
            Advance();
            while (!Current.Is(TokenKind.RightParen))
            {
                if (!Current.Is(TokenKind.Identifier))
                {
                    Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected a parameter name or `)` but found {Current.Describe()}");
                    SkipBrokenDeclaration();
                    return null;
                }
                var parameter = Advance();
                ValueSyntax? defaultValue = null;
                if (Current.Is(TokenKind.Equals))
                {
                    Advance();
                    defaultValue = ParseValue("a default value");
                    if (defaultValue == null) { SkipBrokenDeclaration(); return null; }
                }
                parameters.Add(new BlockParameterSyntax(parameter.Text, SpanOf(parameter), defaultValue));
                if (Current.Is(TokenKind.Comma)) { Advance(); continue; }
                if (!Current.Is(TokenKind.RightParen))
                {
                    Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `,` or `)` in the parameter list but found {Current.Describe()}");
                    SkipBrokenDeclaration();
                    return null;
                }
            }
            Advance();
        }
        var body = ParseBraced("block " + name.Text);
        if (body == null) return null;
        return new BlockSyntax(name.Text, SpanOf(name), parameters, body, SpanOf(keyword).Union(SpanOf(Previous)));
    }

    // ---- sequences ----------------------------------------------------------------------

    private SequenceSyntax ParseSequence(Closer closer)
    {
        var elements = new List<ElementSyntax>();
        Token? danglingArrow = null;
        int start = Current.Start;
        while (true)
        {
            if (Current.Is(TokenKind.Newline)) { Advance(); continue; }
            if (Current.Is(TokenKind.Arrow))
            {
                if (danglingArrow != null || elements.Count == 0)
                    Report(DiagnosticDescriptors.UnexpectedToken, Current, "`->` needs a layer on its left");
                danglingArrow = Advance();
                continue;
            }
            if (AtSequenceEnd(closer))
            {
                if (danglingArrow is Token arrow)
                    Report(DiagnosticDescriptors.UnexpectedToken, arrow, "expected a layer after `->`");
                break;
            }
            if (IsStrayCloser(closer))
            {
                Report(DiagnosticDescriptors.UnexpectedToken, Current, $"{Current.Describe()} closes nothing here");
                Advance();
                continue;
            }

            int before = _position;
            var element = ParseElement();
            danglingArrow = null;
            if (element != null)
            {
                elements.Add(element);
                if (!AtSeparator())
                {
                    Report(DiagnosticDescriptors.UnexpectedToken, Current,
                        $"expected `->` or a new line after `{Describe(element)}` but found {Current.Describe()}");
                    SkipToLineEnd();
                }
            }
            if (_position == before) Advance();
        }
        var span = elements.Count == 0 ? _source.Span(start, 0) : elements[0].Span.Union(elements[elements.Count - 1].Span);
        return new SequenceSyntax(elements, span);
    }

    private bool AtSequenceEnd(Closer closer)
    {
        if (Current.Is(TokenKind.EndOfFile)) return true;
        if (IsDeclarationStart("network") || IsDeclarationStart("block")) return true;
        return closer switch
        {
            Closer.Brace => Current.Is(TokenKind.RightBrace),
            Closer.Bracket => Current.Is(TokenKind.RightBracket),
            _ => false,
        };
    }

    private bool IsStrayCloser(Closer closer) =>
        (Current.Is(TokenKind.RightBrace) && closer != Closer.Brace) ||
        (Current.Is(TokenKind.RightBracket) && closer != Closer.Bracket);

    private bool AtSeparator() =>
        Current.Kind is TokenKind.Newline or TokenKind.Arrow or TokenKind.EndOfFile or TokenKind.RightBrace or TokenKind.RightBracket;

    private ElementSyntax? ParseElement()
    {
        var token = Current;
        if (!token.Is(TokenKind.Identifier))
        {
            Report(token.Is(TokenKind.Invalid) ? DiagnosticDescriptors.InvalidCharacter : DiagnosticDescriptors.UnexpectedToken, token,
                token.Is(TokenKind.Invalid) ? $"unexpected character {token.Describe()}" : $"expected a layer but found {token.Describe()}");
            SkipToLineEnd();
            return null;
        }
        switch (token.Text.ToLowerInvariant())
        {
            case "repeat": return ParseRepeat();
            case "concat": return ParseMerge(MergeKind.Concat);
            case "add": return ParseMerge(MergeKind.Add);
            case "residual": return ParseResidual();
            case "input": return ParseInput();
            case "budget": return ParseBudget();
        }
        if (Peek(1).Is(TokenKind.Colon)) return ParseLabelledLayer();
        if (Peek(1).Is(TokenKind.LeftParen)) return ParseBlockCall(null);
        return ParseLayer(null, default);
    }

    private ElementSyntax? ParseLabelledLayer()
    {
        var label = Advance();
        Advance(); // ':'
        if (!Current.Is(TokenKind.Identifier))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected a layer after the label `{label.Text}:` but found {Current.Describe()}");
            SkipToLineEnd();
            return null;
        }
        if (Peek(1).Is(TokenKind.LeftParen)) return ParseBlockCall(label.Text);
        return ParseLayer(label.Text, SpanOf(label));
    }

    private LayerSyntax? ParseLayer(string? label, SourceSpan labelSpan)
    {
        var keyword = Advance();
        DimsSyntax? argument = null;
        if (StartsValue())
        {
            argument = ParseDims("the layer's argument");
            if (argument == null) { SkipToLineEnd(); return null; }
        }
        var options = new List<OptionSyntax>();
        while (Current.Is(TokenKind.Identifier))
        {
            var option = ParseOption();
            if (option == null) { SkipToLineEnd(); break; }
            options.Add(option);
        }
        if (StartsValue())
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current,
                $"unexpected {Current.Describe()} after `{keyword.Text}`: a layer takes one argument, then options such as `s2` or `p1`");
            SkipToLineEnd();
        }
        var first = label != null ? labelSpan : SpanOf(keyword);
        return new LayerSyntax(label, labelSpan, keyword.Text, SpanOf(keyword), argument, options, first.Union(SpanOf(Previous)));
    }

    private OptionSyntax? ParseOption()
    {
        var word = Advance();
        if (Current.Is(TokenKind.Equals))
        {
            Advance();
            var value = ParseDims($"a value after `{word.Text}=`");
            if (value == null) return null;
            return new OptionSyntax(word.Text.ToLowerInvariant(), SpanOf(word), value, SpanOf(word).Union(value.Span));
        }
        if (Current.Is(TokenKind.LeftBrace) && Current.Start == word.End)
        {
            var value = ParseDims($"a value after `{word.Text}`");
            if (value == null) return null;
            return new OptionSyntax(word.Text.ToLowerInvariant(), SpanOf(word), value, SpanOf(word).Union(value.Span));
        }

        // Short forms glue the value to the name: s2, p1x2, d2, g4 (and p1x{q}).
        string text = word.Text;
        int letters = 0;
        while (letters < text.Length && char.IsLetter(text[letters])) letters++;
        if (letters == 0 || letters == text.Length || !IsDimsText(text, letters))
            return new OptionSyntax(text.ToLowerInvariant(), SpanOf(word), null, SpanOf(word));

        var parts = new List<ValueSyntax>();
        int i = letters;
        bool trailingTimes = false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && Lexer.IsDigit(text[i])) i++;
            parts.Add(new NumberSyntax(text.Substring(start, i - start), 1, _source.Span(word.Start + start, i - start)));
            if (i < text.Length) { i++; trailingTimes = i == text.Length; }
        }
        if (trailingTimes)
        {
            if (!(Current.Is(TokenKind.LeftBrace) && Current.Start == word.End))
            {
                Report(DiagnosticDescriptors.BadNumber, word, $"`{text}` ends with `x`: expected another dimension");
                return null;
            }
            var rest = ParseDims("a dimension");
            if (rest == null) return null;
            parts.AddRange(rest.Parts);
        }
        // `p1×2`: the word ends at `×`, which the lexer makes a separate token; `×` means `x`.
        while (Current.Is(TokenKind.Times) && Current.Start == Previous.End)
        {
            var times = Advance();
            if (!(StartsValue() && Current.Start == times.End))
            {
                Report(DiagnosticDescriptors.BadNumber, times, $"expected a number after `{times.Text}` in a dimension literal");
                return null;
            }
            var next = ParseValue("a dimension");
            if (next == null) return null;
            parts.Add(next);
        }
        var nameSpan = _source.Span(word.Start, letters);
        var valueSpan = _source.Span(word.Start + letters, Previous.End - word.Start - letters);
        return new OptionSyntax(text.Substring(0, letters).ToLowerInvariant(), nameSpan, new DimsSyntax(parts, valueSpan), SpanOf(word).Union(SpanOf(Previous)));
    }

    private static bool IsDimsText(string text, int from)
    {
        // digits ( 'x' digits )* 'x'?
        int i = from;
        if (i >= text.Length || !Lexer.IsDigit(text[i])) return false;
        while (i < text.Length)
        {
            if (!Lexer.IsDigit(text[i])) return false;
            while (i < text.Length && Lexer.IsDigit(text[i])) i++;
            if (i == text.Length) return true;
            if (text[i] != 'x' && text[i] != 'X') return false;
            i++;
            if (i == text.Length) return true;
        }
        return true;
    }

    private BlockCallSyntax? ParseBlockCall(string? label)
    {
        var name = Advance();
        Advance(); // '('
        var arguments = new List<DimsSyntax>();
        while (!Current.Is(TokenKind.RightParen))
        {
            var argument = ParseDims("a block argument");
            if (argument == null) { SkipToLineEnd(); return null; }
            arguments.Add(argument);
            if (Current.Is(TokenKind.Comma)) { Advance(); continue; }
            if (!Current.Is(TokenKind.RightParen))
            {
                Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `,` or `)` after a block argument but found {Current.Describe()}");
                SkipToLineEnd();
                return null;
            }
        }
        var close = Advance();
        return new BlockCallSyntax(label, name.Text, SpanOf(name), arguments, SpanOf(name).Union(SpanOf(close)));
    }

    private RepeatSyntax? ParseRepeat()
    {
        var keyword = Advance();
        if (!StartsValue())
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected a count after `repeat` (e.g. `repeat 2 {{ ... }}`) but found {Current.Describe()}");
            SkipToLineEnd();
            return null;
        }
        var count = ParseDims("a repeat count");
        if (count == null) { SkipToLineEnd(); return null; }
        var body = ParseBraced("repeat");
        if (body == null) return null;
        return new RepeatSyntax(count, body, SpanOf(keyword).Union(SpanOf(Previous)));
    }

    private MergeSyntax? ParseMerge(MergeKind kind)
    {
        var keyword = Advance();
        if (!Current.Is(TokenKind.LeftBrace))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `{{` after `{keyword.Text}` but found {Current.Describe()}");
            SkipToLineEnd();
            return null;
        }
        var open = Advance();
        if (!Enter(open)) return null;
        var branches = new List<SequenceSyntax>();
        try
        {
            while (true)
            {
                SkipNewlines();
                if (Current.Is(TokenKind.RightBrace)) { Advance(); break; }
                if (Current.Is(TokenKind.EndOfFile) || IsDeclarationStart("network") || IsDeclarationStart("block"))
                {
                    Report(DiagnosticDescriptors.Unclosed, open, $"`{{` of `{keyword.Text}` is never closed");
                    return null;
                }
                if (!Current.Is(TokenKind.LeftBracket))
                {
                    Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `[` to start a branch of `{keyword.Text}`, or `}}`, but found {Current.Describe()}");
                    int before = _position;
                    SkipToLineEnd();
                    if (_position == before) Advance();
                    continue;
                }
                var bracket = Advance();
                if (!Enter(bracket)) return null;
                try
                {
                    var branch = ParseSequence(Closer.Bracket);
                    if (!Current.Is(TokenKind.RightBracket))
                    {
                        Report(DiagnosticDescriptors.Unclosed, bracket, "`[` of this branch is never closed");
                        return null;
                    }
                    Advance();
                    branches.Add(branch);
                }
                finally { _depth--; }
            }
        }
        finally { _depth--; }
        if (branches.Count == 0)
        {
            Report(DiagnosticDescriptors.UnexpectedToken, keyword, $"`{keyword.Text}` needs at least one branch `[ ... ]`");
            return null;
        }
        return new MergeSyntax(kind, branches, SpanOf(keyword), SpanOf(keyword).Union(SpanOf(Previous)));
    }

    private ResidualSyntax? ParseResidual()
    {
        var keyword = Advance();
        var body = ParseBraced("residual");
        if (body == null) return null;
        SequenceSyntax? shortcut = null;
        int save = _position;
        SkipNewlines();
        if (Current.IsKeyword("shortcut"))
        {
            Advance();
            shortcut = ParseBraced("shortcut");
            if (shortcut == null) return null;
        }
        else
        {
            _position = save;
        }
        return new ResidualSyntax(body, shortcut, SpanOf(keyword), SpanOf(keyword).Union(SpanOf(Previous)));
    }

    private InputSyntax ParseInput()
    {
        var keyword = Advance();
        if (!StartsValue())
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected the input shape after `input` (e.g. `input 1x28x28`) but found {Current.Describe()}");
            SkipToLineEnd();
            return new InputSyntax(null, SpanOf(keyword));
        }
        var shape = ParseDims("the input shape");
        return new InputSyntax(shape, SpanOf(keyword).Union(SpanOf(Previous)));
    }

    private BudgetSyntax ParseBudget()
    {
        var keyword = Advance();
        var items = new List<BudgetItemSyntax>();
        while (Current.Is(TokenKind.Identifier))
        {
            var what = Advance();
            ValueSyntax? limit = null;
            if (Current.Is(TokenKind.Equals)) Advance();
            if (StartsValue()) limit = ParseBudgetValue();
            else Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected a limit after `{what.Text}` (e.g. `params 100k`) but found {Current.Describe()}");
            items.Add(new BudgetItemSyntax(what.Text, SpanOf(what), limit, SpanOf(what).Union(SpanOf(Previous))));
            if (limit == null) { SkipToLineEnd(); break; }
        }
        if (items.Count == 0)
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `params N` or `macs N` after `budget` but found {Current.Describe()}");
        return new BudgetSyntax(items, SpanOf(keyword).Union(SpanOf(Previous)));
    }

    private ValueSyntax? ParseBudgetValue()
    {
        if (!Current.Is(TokenKind.Number)) return ParseValue("a limit");
        var number = Advance();
        if (Current.Is(TokenKind.Identifier) && Current.Start == number.End)
        {
            double multiplier = Current.Text switch
            {
                "k" or "K" => 1e3,
                "M" => 1e6,
                "G" => 1e9,
                _ => 0,
            };
            if (multiplier == 0)
            {
                Report(DiagnosticDescriptors.BadNumber, Current, $"unknown suffix `{Current.Text}`: use k (thousand), M (million) or G (billion)");
                Advance();
                return null;
            }
            var suffix = Advance();
            return new NumberSyntax(number.Text, multiplier, SpanOf(number).Union(SpanOf(suffix)));
        }
        return new NumberSyntax(number.Text, 1, SpanOf(number));
    }

    // ---- values -------------------------------------------------------------------------

    private bool StartsValue() =>
        Current.Kind is TokenKind.Number or TokenKind.LeftBrace ||
        (Current.Is(TokenKind.Minus) && Peek(1).Is(TokenKind.Number) && Peek(1).Start == Current.End);

    private DimsSyntax? ParseDims(string what)
    {
        var first = ParseValue(what);
        if (first == null) return null;
        var parts = new List<ValueSyntax> { first };
        while (Current.Is(TokenKind.Times) && Current.Start == Previous.End)
        {
            var times = Advance();
            if (!(StartsValue() && Current.Start == times.End))
            {
                Report(DiagnosticDescriptors.BadNumber, times, $"expected a number after `{times.Text}` in a dimension literal");
                return null;
            }
            var next = ParseValue("a dimension");
            if (next == null) return null;
            parts.Add(next);
        }
        return new DimsSyntax(parts, first.Span.Union(parts[parts.Count - 1].Span));
    }

    private ValueSyntax? ParseValue(string what)
    {
        if (Current.Is(TokenKind.Number))
        {
            var number = Advance();
            return new NumberSyntax(number.Text, 1, SpanOf(number));
        }
        if (Current.Is(TokenKind.Minus) && Peek(1).Is(TokenKind.Number))
        {
            var minus = Advance();
            var number = Advance();
            return new NumberSyntax("-" + number.Text, 1, SpanOf(minus).Union(SpanOf(number)));
        }
        if (Current.Is(TokenKind.LeftBrace)) return ParseBracedExpression();
        Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected {what} but found {Current.Describe()}");
        return null;
    }

    private ValueSyntax? ParseBracedExpression()
    {
        var open = Advance();
        int close = _position;
        int nesting = 0;
        while (true)
        {
            var t = _tokens[close];
            if (t.Kind is TokenKind.Newline or TokenKind.EndOfFile)
            {
                Report(DiagnosticDescriptors.Unclosed, open, "`{` of this expression is not closed on the same line");
                return null;
            }
            if (t.Is(TokenKind.LeftBrace)) nesting++;
            if (t.Is(TokenKind.RightBrace))
            {
                if (nesting == 0) break;
                nesting--;
            }
            close++;
        }
        var closing = _tokens[close];
        _position = close + 1;
        var span = SpanOf(open).Union(SpanOf(closing));
        if (!ExpressionGrammar.TryParse(_source, open.End, closing.Start - open.End, out var expression, out var error))
        {
            _diagnostics.Add(DiagnosticDescriptors.BadExpression.Create(span, error));
            return null;
        }
        return new ExpressionValueSyntax(expression!, span);
    }

    // ---- helpers ------------------------------------------------------------------------

    private SequenceSyntax? ParseBraced(string owner)
    {
        if (!Current.Is(TokenKind.LeftBrace))
        {
            Report(DiagnosticDescriptors.UnexpectedToken, Current, $"expected `{{` to open the body of `{owner}` but found {Current.Describe()}");
            SkipToLineEnd();
            return null;
        }
        var open = Advance();
        if (!Enter(open)) return null;
        try
        {
            var body = ParseSequence(Closer.Brace);
            if (!Current.Is(TokenKind.RightBrace))
            {
                Report(DiagnosticDescriptors.Unclosed, open, $"`{{` of `{owner}` is never closed");
                return null;
            }
            Advance();
            return body;
        }
        finally { _depth--; }
    }

    /// <summary>Counts one level of nesting; past the limit the construct is skipped whole.</summary>
    private bool Enter(Token open)
    {
        _depth++;
        if (_depth <= MaxNesting) return true;
        _depth--;
        Report(DiagnosticDescriptors.NestingTooDeep, open, $"nesting deeper than {MaxNesting} levels is not supported");
        // Skip to the matching closer without recursion.
        int level = 1;
        while (!Current.Is(TokenKind.EndOfFile) && level > 0)
        {
            if (Current.Kind is TokenKind.LeftBrace or TokenKind.LeftBracket) level++;
            else if (Current.Kind is TokenKind.RightBrace or TokenKind.RightBracket) level--;
            Advance();
        }
        return false;
    }

    private bool IsDeclarationStart(string keyword) =>
        Current.IsKeyword(keyword) && Peek(1).Is(TokenKind.Identifier) &&
        (_position == 0 || _tokens[_position - 1].Is(TokenKind.Newline));

    private void ExpectLineEnd(string where)
    {
        if (Current.Kind is TokenKind.Newline or TokenKind.EndOfFile) return;
        Report(DiagnosticDescriptors.UnexpectedToken, Current, $"unexpected {Current.Describe()} {where}");
        SkipToLineEnd();
    }

    /// <summary>Skips the rest of the line, but leaves a closing brace or bracket of an enclosing
    /// construct in place so that construct can still close.</summary>
    private void SkipToLineEnd()
    {
        int level = 0;
        while (true)
        {
            var t = Current;
            if (t.Kind is TokenKind.Newline or TokenKind.EndOfFile) return;
            if (t.Kind is TokenKind.LeftBrace or TokenKind.LeftBracket) level++;
            if (t.Kind is TokenKind.RightBrace or TokenKind.RightBracket)
            {
                if (level == 0) return;
                level--;
            }
            Advance();
        }
    }

    /// <summary>After an error in a block header: skip the header and, when it opens a body (on its
    /// line or the next), the whole body up to its closing brace, so the body's lines are not reported
    /// again as stray top-level text. Stops early at the next declaration.</summary>
    private void SkipBrokenDeclaration()
    {
        int level = 0;
        bool opened = false;
        while (!Current.Is(TokenKind.EndOfFile))
        {
            if (Current.Is(TokenKind.Newline))
            {
                if (!opened)
                {
                    int save = _position;
                    SkipNewlines();
                    if (Current.Is(TokenKind.LeftBrace)) continue;
                    _position = save;
                    return;
                }
                Advance();
                if (IsDeclarationStart("network") || IsDeclarationStart("block")) return;
                continue;
            }
            if (Current.Is(TokenKind.LeftBrace))
            {
                level++;
                opened = true;
            }
            else if (Current.Is(TokenKind.RightBrace) && opened && --level == 0)
            {
                Advance();
                return;
            }
            Advance();
        }
    }

    private void SkipNewlines()
    {
        while (Current.Is(TokenKind.Newline)) Advance();
    }

    private Token Advance()
    {
        var t = Current;
        if (!t.Is(TokenKind.EndOfFile)) _position++;
        return t;
    }

    private SourceSpan SpanOf(Token token) => _source.Span(token.Start, token.Length);

    private void Report(DiagnosticDescriptor descriptor, Token token, string message) =>
        _diagnostics.Add(descriptor.Create(SpanOf(token), message));

    private string Describe(ElementSyntax element)
    {
        string text = _source.Text.Substring(element.Span.Start, element.Span.Length);
        int newline = text.IndexOfAny(new[] { '\r', '\n' });
        if (newline >= 0) text = text.Substring(0, newline) + " …";
        return text.Length > 40 ? text.Substring(0, 40) + "…" : text;
    }
}
