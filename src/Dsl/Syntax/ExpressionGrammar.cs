using System;
using System.Linq;
using CnnDsl.Dsl.Text;
using Sprache;

namespace CnnDsl.Dsl.Syntax;

/// <summary>
/// The integer arithmetic inside <c>{…}</c> (<c>+ - * /</c>, parentheses, block parameter names),
/// written as a Sprache grammar. Positions in the braces map back to the file so that an unknown
/// name is reported where it stands.
/// </summary>
internal static class ExpressionGrammar
{
    // Sprache recurses per parenthesis and unary minus; these bounds keep any input far from the
    // stack limit (a stack overflow cannot be caught, and the generator must never crash).
    public const int MaxLength = 256;
    public const int MaxDepth = 16;

    public static bool TryParse(SourceText source, int start, int length, out ExpressionSyntax? expression, out string error)
    {
        expression = null;
        error = string.Empty;
        string text = source.Text.Substring(start, length);
        if (text.Trim().Length == 0)
        {
            error = "empty expression `{}`: write a number or arithmetic over block parameters";
            return false;
        }
        if (text.Length > MaxLength)
        {
            error = $"expression is {text.Length} characters long; at most {MaxLength} are allowed";
            return false;
        }
        int depth = 0, maxDepth = 0, minuses = 0;
        foreach (char c in text)
        {
            if (c == '(') maxDepth = Math.Max(maxDepth, ++depth);
            else if (c == ')') depth--;
            else if (c == '-') minuses++;
        }
        if (maxDepth > MaxDepth || minuses > MaxDepth * 2)
        {
            error = $"expression nests deeper than {MaxDepth} levels";
            return false;
        }

        var grammar = Build((s, e) => source.Span(start + s, e - s));
        var result = grammar(new Input(text));
        if (result.WasSuccessful)
        {
            expression = result.Value;
            return true;
        }
        string at = result.Remainder.AtEnd ? "the end" : $"'{text[Math.Min(result.Remainder.Position, text.Length - 1)]}'";
        string expected = result.Expectations.Any() ? " (expected " + string.Join(" or ", result.Expectations.Distinct()) + ")" : string.Empty;
        error = $"cannot read `{{{text}}}` at {at}{expected}; expressions are integer arithmetic over block parameters: + - * / and parentheses";
        return false;
    }

    private static Parser<ExpressionSyntax> Build(Func<int, int, SourceSpan> span)
    {
        Parser<int> position = input => Result.Success(input.Position, input);

        Parser<ExpressionSyntax>? expression = null;
        Parser<ExpressionSyntax>? factor = null;

        Parser<ExpressionSyntax> number =
            from s in position
            from digits in Parse.Digit.AtLeastOnce().Text()
            from e in position
            select (ExpressionSyntax)new NumberExpressionSyntax(digits, span(s, e));

        Parser<ExpressionSyntax> name =
            from s in position
            from id in Parse.Identifier(Parse.Letter.Or(Parse.Char('_')), Parse.LetterOrDigit.Or(Parse.Char('_')))
            from e in position
            select (ExpressionSyntax)new NameExpressionSyntax(id, span(s, e));

        Parser<ExpressionSyntax> parenthesised =
            from open in Parse.Char('(').Token()
            from inner in Parse.Ref(() => expression!)
            from close in Parse.Char(')').Token()
            select inner;

        Parser<ExpressionSyntax> negation =
            from s in position
            from minus in Parse.Char('-').Token()
            from operand in Parse.Ref(() => factor!)
            from e in position
            select (ExpressionSyntax)new NegateExpressionSyntax(operand, span(s, e));

        factor = number.Or(name).Or(parenthesised).Or(negation).Token();

        Parser<char> multiplicative = Parse.Char('*').Or(Parse.Char('/')).Token();
        Parser<char> additive = Parse.Char('+').Or(Parse.Char('-')).Token();

        Parser<ExpressionSyntax> term = Parse.ChainOperator(multiplicative, factor,
            (op, left, right) => new BinaryExpressionSyntax(op, left, right, left.Span.Union(right.Span)));
        expression = Parse.ChainOperator(additive, term,
            (op, left, right) => new BinaryExpressionSyntax(op, left, right, left.Span.Union(right.Span)));

        return expression.Token().End();
    }
}
