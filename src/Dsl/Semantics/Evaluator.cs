using System;
using System.Collections.Generic;
using System.Globalization;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Syntax;

namespace CnnDsl.Dsl.Semantics;

/// <summary>Turns written values (literals and <c>{expressions}</c> over block parameters) into numbers,
/// reporting bad numbers, unknown names and division by zero where they are written.</summary>
internal sealed class Evaluator
{
    private readonly List<CnnDiagnostic> _diagnostics;

    public Evaluator(List<CnnDiagnostic> diagnostics) => _diagnostics = diagnostics;

    public bool TryInteger(ValueSyntax value, IReadOnlyDictionary<string, long> env, string what, long min, long max, out int result)
    {
        result = 0;
        if (!TryEvaluate(value, env, what, out double number, out bool isInteger)) return false;
        if (!isInteger)
        {
            Report(DiagnosticDescriptors.BadNumber, value, $"{what} must be a whole number, not {Format(number)}");
            return false;
        }
        if (number < min || number > max)
        {
            string range = max >= int.MaxValue ? $"at least {min}" : $"between {min} and {max}";
            Report(DiagnosticDescriptors.BadNumber, value, $"{what} must be {range}, not {Format(number)}");
            return false;
        }
        result = (int)number;
        return true;
    }

    public bool TryIntegers(DimsSyntax dims, IReadOnlyDictionary<string, long> env, string what, long min, out int[] result)
    {
        result = new int[dims.Parts.Count];
        bool ok = true;
        for (int i = 0; i < dims.Parts.Count; i++)
        {
            if (!TryInteger(dims.Parts[i], env, what, min, int.MaxValue, out result[i])) ok = false;
        }
        return ok;
    }

    public bool TryScalar(ValueSyntax value, IReadOnlyDictionary<string, long> env, string what, out double result) =>
        TryEvaluate(value, env, what, out result, out _);

    /// <summary>Long values (budgets) keep their k/M/G multiplier.</summary>
    public bool TryLong(ValueSyntax value, IReadOnlyDictionary<string, long> env, string what, out long result)
    {
        result = 0;
        if (!TryEvaluate(value, env, what, out double number, out bool isInteger)) return false;
        if (!isInteger || number < 0)
        {
            Report(DiagnosticDescriptors.BadNumber, value, $"{what} must be a non-negative whole number, not {Format(number)}");
            return false;
        }
        result = (long)number;
        return true;
    }

    private bool TryEvaluate(ValueSyntax value, IReadOnlyDictionary<string, long> env, string what, out double number, out bool isInteger)
    {
        number = 0;
        isInteger = false;
        switch (value)
        {
            case NumberSyntax literal:
                if (!double.TryParse(literal.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ||
                    double.IsInfinity(parsed) || double.IsNaN(parsed))
                {
                    Report(DiagnosticDescriptors.BadNumber, value, $"`{literal.Text}` is not a number that fits: {what} is out of range");
                    return false;
                }
                number = parsed * literal.Multiplier;
                if (Math.Abs(number) > 1e15)
                {
                    Report(DiagnosticDescriptors.BadNumber, value, $"{what} `{literal.Text}` is too large");
                    return false;
                }
                isInteger = Math.Floor(number) == number;
                return true;
            case ExpressionValueSyntax expression:
                if (!TryEvaluate(expression.Expression, env, out long integer)) return false;
                number = integer;
                isInteger = true;
                return true;
            default:
                return false;
        }
    }

    private bool TryEvaluate(ExpressionSyntax expression, IReadOnlyDictionary<string, long> env, out long result)
    {
        result = 0;
        try
        {
            switch (expression)
            {
                case NumberExpressionSyntax n:
                    if (!long.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out result) || result > int.MaxValue)
                    {
                        _diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(n.Span, $"`{n.Text}` is too large"));
                        return false;
                    }
                    return true;
                case NameExpressionSyntax name:
                    if (env.TryGetValue(name.Name, out result)) return true;
                    string hint = env.Count == 0
                        ? " (expressions may only use the parameters of the enclosing block)"
                        : Suggestions.DidYouMean(name.Name, env.Keys);
                    _diagnostics.Add(DiagnosticDescriptors.UnknownName.Create(name.Span, $"unknown name `{name.Name}` in expression{hint}"));
                    return false;
                case NegateExpressionSyntax negate:
                    if (!TryEvaluate(negate.Operand, env, out long operand)) return false;
                    result = checked(-operand);
                    return true;
                case BinaryExpressionSyntax binary:
                    if (!TryEvaluate(binary.Left, env, out long left) | !TryEvaluate(binary.Right, env, out long right)) return false;
                    switch (binary.Operator)
                    {
                        case '+': result = checked(left + right); break;
                        case '-': result = checked(left - right); break;
                        case '*': result = checked(left * right); break;
                        default:
                            if (right == 0)
                            {
                                _diagnostics.Add(DiagnosticDescriptors.BadExpression.Create(binary.Span, "division by zero"));
                                return false;
                            }
                            result = left / right;
                            break;
                    }
                    if (Math.Abs(result) > int.MaxValue)
                    {
                        _diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(binary.Span, $"the expression's value {result} is too large"));
                        return false;
                    }
                    return true;
            }
        }
        catch (OverflowException)
        {
            _diagnostics.Add(DiagnosticDescriptors.BadNumber.Create(expression.Span, "the expression overflows"));
        }
        return false;
    }

    private void Report(DiagnosticDescriptor descriptor, ValueSyntax value, string message) =>
        _diagnostics.Add(descriptor.Create(value.Span, message));

    internal static string Format(double number) =>
        Math.Floor(number) == number && Math.Abs(number) < 1e15
            ? ((long)number).ToString(CultureInfo.InvariantCulture)
            : number.ToString("G6", CultureInfo.InvariantCulture);
}
