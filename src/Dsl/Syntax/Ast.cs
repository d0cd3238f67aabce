using System.Collections.Generic;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Syntax;

// The syntax tree keeps what was written and where; it resolves nothing (block parameters,
// expressions and shapes belong to the checker).

public sealed record FileSyntax(IReadOnlyList<NetworkSyntax> Networks, IReadOnlyList<BlockSyntax> Blocks);

public sealed record NetworkSyntax(string Name, SourceSpan NameSpan, string? Namespace, SequenceSyntax Body, SourceSpan Span);

public sealed record BlockSyntax(string Name, SourceSpan NameSpan, IReadOnlyList<BlockParameterSyntax> Parameters, SequenceSyntax Body, SourceSpan Span);

public sealed record BlockParameterSyntax(string Name, SourceSpan Span, ValueSyntax? Default);

public sealed record SequenceSyntax(IReadOnlyList<ElementSyntax> Elements, SourceSpan Span);

public abstract record ElementSyntax(SourceSpan Span);

/// <summary><c>conv1: conv 5x5x6 p2</c> — a label, the layer keyword, its argument and options.
/// An unknown keyword is kept: it may name a block without arguments.</summary>
public sealed record LayerSyntax(
    string? Label,
    SourceSpan LabelSpan,
    string Keyword,
    SourceSpan KeywordSpan,
    DimsSyntax? Argument,
    IReadOnlyList<OptionSyntax> Options,
    SourceSpan Span) : ElementSyntax(Span);

/// <summary><c>basic(128, 2)</c>, optionally labelled (<c>stage2: basic(128, 2)</c>): the label then
/// prefixes the names of the block's layers instead of <c>basic1.</c>.</summary>
public sealed record BlockCallSyntax(string? Label, string Name, SourceSpan NameSpan, IReadOnlyList<DimsSyntax> Arguments, SourceSpan Span) : ElementSyntax(Span);

public sealed record RepeatSyntax(DimsSyntax Count, SequenceSyntax Body, SourceSpan Span) : ElementSyntax(Span);

public enum MergeKind
{
    Concat,
    Add,
}

public sealed record MergeSyntax(MergeKind Kind, IReadOnlyList<SequenceSyntax> Branches, SourceSpan KeywordSpan, SourceSpan Span) : ElementSyntax(Span);

public sealed record ResidualSyntax(SequenceSyntax Body, SequenceSyntax? Shortcut, SourceSpan KeywordSpan, SourceSpan Span) : ElementSyntax(Span);

public sealed record InputSyntax(DimsSyntax? Shape, SourceSpan Span) : ElementSyntax(Span);

public sealed record BudgetItemSyntax(string What, SourceSpan WhatSpan, ValueSyntax? Limit, SourceSpan Span);

public sealed record BudgetSyntax(IReadOnlyList<BudgetItemSyntax> Items, SourceSpan Span) : ElementSyntax(Span);

/// <summary>An option: <c>s2</c>, <c>p1x2</c>, <c>stride=2</c>, <c>s{s}</c> or a flag such as <c>same</c>.</summary>
public sealed record OptionSyntax(string Name, SourceSpan NameSpan, DimsSyntax? Value, SourceSpan Span);

/// <summary>One or more values joined by <c>x</c>: <c>5x5x6</c>, <c>3x3x{c*2}</c>, <c>0.1</c>.</summary>
public sealed record DimsSyntax(IReadOnlyList<ValueSyntax> Parts, SourceSpan Span);

public abstract record ValueSyntax(SourceSpan Span);

/// <summary>A number as written; <see cref="Multiplier"/> is 1, 1e3, 1e6 or 1e9 for k/M/G suffixes.</summary>
public sealed record NumberSyntax(string Text, double Multiplier, SourceSpan Span) : ValueSyntax(Span);

public sealed record ExpressionValueSyntax(ExpressionSyntax Expression, SourceSpan Span) : ValueSyntax(Span);

public abstract record ExpressionSyntax(SourceSpan Span);

public sealed record NumberExpressionSyntax(string Text, SourceSpan Span) : ExpressionSyntax(Span);

public sealed record NameExpressionSyntax(string Name, SourceSpan Span) : ExpressionSyntax(Span);

public sealed record NegateExpressionSyntax(ExpressionSyntax Operand, SourceSpan Span) : ExpressionSyntax(Span);

public sealed record BinaryExpressionSyntax(char Operator, ExpressionSyntax Left, ExpressionSyntax Right, SourceSpan Span) : ExpressionSyntax(Span);
