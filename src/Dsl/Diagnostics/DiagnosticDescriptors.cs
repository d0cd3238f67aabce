using System.Collections.Generic;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Diagnostics;

/// <summary>One rule of the catalogue: id, severity and a short title (the message is per instance).</summary>
public sealed record DiagnosticDescriptor(string Id, CnnSeverity Severity, string Title)
{
    public CnnDiagnostic Create(SourceSpan span, string message) => new(Id, Severity, span, message);
}

/// <summary>
/// The diagnostic catalogue (spec §6). Ids are stable: CNN1xxx syntax errors, CNN2xxx shape and
/// structure errors, CNN3xxx warnings, CNN4xxx information, CNN9xxx the compiler itself.
/// </summary>
public static class DiagnosticDescriptors
{
    // CNN1xxx — syntax
    public static readonly DiagnosticDescriptor UnexpectedToken = new("CNN1001", CnnSeverity.Error, "Unexpected token");
    public static readonly DiagnosticDescriptor UnknownLayer = new("CNN1002", CnnSeverity.Error, "Unknown layer or block");
    public static readonly DiagnosticDescriptor UnknownOption = new("CNN1003", CnnSeverity.Error, "Unknown option");
    public static readonly DiagnosticDescriptor BadNumber = new("CNN1004", CnnSeverity.Error, "Bad number");
    public static readonly DiagnosticDescriptor InvalidCharacter = new("CNN1005", CnnSeverity.Error, "Invalid character");
    public static readonly DiagnosticDescriptor Unclosed = new("CNN1006", CnnSeverity.Error, "Unclosed bracket or brace");
    public static readonly DiagnosticDescriptor NestingTooDeep = new("CNN1007", CnnSeverity.Error, "Nesting too deep");
    public static readonly DiagnosticDescriptor DuplicateOption = new("CNN1008", CnnSeverity.Error, "Duplicate or conflicting option");
    public static readonly DiagnosticDescriptor BadArgument = new("CNN1009", CnnSeverity.Error, "Bad layer argument");
    public static readonly DiagnosticDescriptor BadExpression = new("CNN1010", CnnSeverity.Error, "Bad expression");

    // CNN2xxx — shapes and structure
    public static readonly DiagnosticDescriptor OutputTooSmall = new("CNN2001", CnnSeverity.Error, "Output size below 1");
    public static readonly DiagnosticDescriptor RankMismatch = new("CNN2002", CnnSeverity.Error, "Layer rank differs from input rank");
    public static readonly DiagnosticDescriptor GroupsDoNotDivide = new("CNN2003", CnnSeverity.Error, "Groups do not divide channels");
    public static readonly DiagnosticDescriptor DenseOnSpatial = new("CNN2004", CnnSeverity.Error, "Dense layer on a non-flat input");
    public static readonly DiagnosticDescriptor ConcatMismatch = new("CNN2005", CnnSeverity.Error, "Concat branches disagree");
    public static readonly DiagnosticDescriptor MissingInput = new("CNN2006", CnnSeverity.Error, "Missing input");
    public static readonly DiagnosticDescriptor DuplicateLayerName = new("CNN2007", CnnSeverity.Error, "Duplicate layer name");
    public static readonly DiagnosticDescriptor DuplicateNetworkName = new("CNN2008", CnnSeverity.Error, "Duplicate network or block name");
    public static readonly DiagnosticDescriptor UnknownBlock = new("CNN2009", CnnSeverity.Error, "Unknown block");
    public static readonly DiagnosticDescriptor AddMismatch = new("CNN2010", CnnSeverity.Error, "Add or residual shapes differ");
    public static readonly DiagnosticDescriptor BlockArgumentCount = new("CNN2011", CnnSeverity.Error, "Wrong block argument count");
    public static readonly DiagnosticDescriptor RecursiveBlock = new("CNN2012", CnnSeverity.Error, "Recursive block");
    public static readonly DiagnosticDescriptor ParameterBudgetExceeded = new("CNN2013", CnnSeverity.Error, "Parameter budget exceeded");
    public static readonly DiagnosticDescriptor MacBudgetExceeded = new("CNN2014", CnnSeverity.Error, "Multiply-add budget exceeded");
    public static readonly DiagnosticDescriptor BadInput = new("CNN2015", CnnSeverity.Error, "Bad input shape");
    public static readonly DiagnosticDescriptor NeedsSpatialInput = new("CNN2016", CnnSeverity.Error, "Layer needs a spatial input");
    public static readonly DiagnosticDescriptor ShapeTooLarge = new("CNN2017", CnnSeverity.Error, "Tensor too large");
    public static readonly DiagnosticDescriptor ChannelsDoNotDivide = new("CNN2018", CnnSeverity.Error, "Group size does not divide channels");
    public static readonly DiagnosticDescriptor BadPadding = new("CNN2019", CnnSeverity.Error, "Padding not allowed here");
    public static readonly DiagnosticDescriptor MisplacedStatement = new("CNN2020", CnnSeverity.Error, "Statement in the wrong place");
    public static readonly DiagnosticDescriptor EmptyNetwork = new("CNN2021", CnnSeverity.Error, "Network has no layers");
    public static readonly DiagnosticDescriptor UnknownName = new("CNN2022", CnnSeverity.Error, "Unknown name in expression");

    // CNN3xxx — warnings
    public static readonly DiagnosticDescriptor StrideDropsInput = new("CNN3001", CnnSeverity.Warning, "Stride leaves input unread");
    public static readonly DiagnosticDescriptor ActivationAfterSoftmax = new("CNN3002", CnnSeverity.Warning, "Activation after softmax");
    public static readonly DiagnosticDescriptor SoftmaxNotLast = new("CNN3003", CnnSeverity.Warning, "Softmax is not the last layer");
    public static readonly DiagnosticDescriptor HugeLayer = new("CNN3004", CnnSeverity.Warning, "Layer with more than 10M parameters");

    // CNN4xxx — information
    public static readonly DiagnosticDescriptor LayerInfo = new("CNN4001", CnnSeverity.Info, "Layer summary");
    public static readonly DiagnosticDescriptor NetworkInfo = new("CNN4002", CnnSeverity.Info, "Network summary");
    public static readonly DiagnosticDescriptor PlanNote = new("CNN4003", CnnSeverity.Info, "Fusion or fast path declined");

    // CNN9xxx — the compiler itself (reported instead of crashing the build)
    public static readonly DiagnosticDescriptor InternalError = new("CNN9001", CnnSeverity.Error, "Internal compiler error");

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
    {
        UnexpectedToken, UnknownLayer, UnknownOption, BadNumber, InvalidCharacter, Unclosed, NestingTooDeep,
        DuplicateOption, BadArgument, BadExpression,
        OutputTooSmall, RankMismatch, GroupsDoNotDivide, DenseOnSpatial, ConcatMismatch, MissingInput,
        DuplicateLayerName, DuplicateNetworkName, UnknownBlock, AddMismatch, BlockArgumentCount, RecursiveBlock,
        ParameterBudgetExceeded, MacBudgetExceeded, BadInput, NeedsSpatialInput, ShapeTooLarge, ChannelsDoNotDivide,
        BadPadding, MisplacedStatement, EmptyNetwork, UnknownName,
        StrideDropsInput, ActivationAfterSoftmax, SoftmaxNotLast, HugeLayer,
        LayerInfo, NetworkInfo, PlanNote, InternalError,
    };
}
