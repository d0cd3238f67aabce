using System;
using System.Collections.Generic;
using System.Linq;
using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Families;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Syntax;
using CnnDsl.Dsl.Text;

namespace CnnDsl.Dsl.Semantics;

/// <summary>
/// Turns the syntax tree into checked networks: blocks expanded with their arguments, repeats
/// unrolled, branches merged, every layer's shape inferred, layers named, totals and budgets checked.
/// A network with an error yields diagnostics and no model.
/// </summary>
internal sealed class Checker
{
    private const int MaxLayers = 100_000;
    private const int MaxBlockDepth = 64;
    private const int MaxRepeat = 10_000;

    private static readonly IReadOnlyDictionary<string, long> NoParameters = new Dictionary<string, long>();

    private readonly string _path;
    private readonly SourceText _source;
    private readonly FileSyntax _file;
    private readonly List<CnnDiagnostic> _diagnostics;
    private readonly Evaluator _evaluator;
    private readonly Dictionary<string, BlockSyntax> _blocks = new();
    private readonly HashSet<object> _brokenDeclarations = new();

    public Checker(string path, SourceText source, FileSyntax file, List<CnnDiagnostic> diagnostics)
    {
        _path = path;
        _source = source;
        _file = file;
        _diagnostics = diagnostics;
        _evaluator = new Evaluator(diagnostics);
    }

    /// <summary>A network that elaborated: its model, where its name and layers are written, and whether it
    /// is free of errors (only those become classes; the others still get their info diagnostics).</summary>
    public sealed record CheckedNetwork(NetworkModel Network, SourceSpan NameSpan, IReadOnlyList<SourceSpan> LayerSpans, bool Accepted);

    public List<CheckedNetwork> Check()
    {
        // Syntax errors were reported by the parser; the recovered tree may lack the broken line, so a
        // network with one in its text (or in a block it uses) must not become a model that
        // silently differs from what was written.
        // A declaration's text runs to the next `network`/`block` keyword at the start of a line,
        // including declarations the parser could not read (their errors are theirs, not the previous one's).
        var syntaxErrors = _diagnostics.Where(d => d.IsError).Select(d => d.Span.Start).ToList();
        if (syntaxErrors.Count > 0)
        {
            var tokens = Lexer.Tokenize(_source.Text);
            var starts = new List<int>();
            for (int i = 0; i + 1 < tokens.Count; i++)
                if ((tokens[i].IsKeyword("network") || tokens[i].IsKeyword("block")) && tokens[i + 1].Is(TokenKind.Identifier) &&
                    (i == 0 || tokens[i - 1].Is(TokenKind.Newline)))
                    starts.Add(tokens[i].Start);
            var declarations = _file.Networks.Select(n => (Start: n.Span.Start, Key: (object)n))
                .Concat(_file.Blocks.Select(b => (Start: b.Span.Start, Key: (object)b)));
            foreach (var (start, key) in declarations)
            {
                int end = starts.Where(s => s > start).DefaultIfEmpty(int.MaxValue).Min();
                if (syntaxErrors.Any(e => e >= start && e < end)) _brokenDeclarations.Add(key);
            }
        }

        foreach (var block in _file.Blocks)
        {
            if (_blocks.TryGetValue(block.Name, out var earlier))
                Report(DiagnosticDescriptors.DuplicateNetworkName, block.NameSpan, $"block `{block.Name}` is already defined on line {earlier.NameSpan.StartLine + 1}");
            else if (LayerFamilies.TryGet(block.Name, out _))
                Report(DiagnosticDescriptors.DuplicateNetworkName, block.NameSpan, $"block `{block.Name}` has the name of a layer; choose another name");
            else
                _blocks[block.Name] = block;
            var seen = new HashSet<string>();
            foreach (var parameter in block.Parameters)
                if (!seen.Add(parameter.Name))
                    Report(DiagnosticDescriptors.DuplicateNetworkName, parameter.Span, $"parameter `{parameter.Name}` of block `{block.Name}` is declared twice");
        }

        var networks = new List<CheckedNetwork>();
        var names = new Dictionary<string, NetworkSyntax>(StringComparer.Ordinal);
        foreach (var network in _file.Networks)
        {
            if (names.TryGetValue(network.Name, out var earlier))
            {
                Report(DiagnosticDescriptors.DuplicateNetworkName, network.NameSpan, $"network `{network.Name}` is already defined on line {earlier.NameSpan.StartLine + 1}");
                continue;
            }
            names[network.Name] = network;
            int diagnosticsBefore = _diagnostics.Count;
            var elaboration = new NetworkElaboration(this, network);
            var model = elaboration.Run();
            bool broken = _brokenDeclarations.Contains(network) || elaboration.UsesBrokenBlock;
            bool failed = false;
            for (int i = diagnosticsBefore; i < _diagnostics.Count; i++) failed |= _diagnostics[i].IsError;
            if (model != null) networks.Add(new CheckedNetwork(model, network.NameSpan, elaboration.LayerSpans, !broken && !failed));
        }
        return networks;
    }

    private void Report(DiagnosticDescriptor descriptor, SourceSpan span, string message) =>
        _diagnostics.Add(descriptor.Create(span, message));

    /// <summary>The current end of a sequence: which layer produced it (−1: the network input), its shape, and words for messages.</summary>
    private readonly record struct Node(int Index, TensorShape Shape, string Origin);

    /// <summary>How labels are made unique when a block is used twice or a repeat unrolls.</summary>
    private sealed record Scope(string Prefix, string Suffix)
    {
        public static readonly Scope Root = new(string.Empty, string.Empty);
    }

    private sealed class Draft
    {
        public LayerModel Model = null!;
        public SourceSpan Span;
        public string? Label;
        public SourceSpan LabelSpan;
        public string Name = string.Empty;

        /// <summary>The enclosing block instances' prefix (<c>stage2.</c>), so auto names stay inside their block.</summary>
        public string Prefix = string.Empty;
    }

    private sealed class NetworkElaboration
    {
        private readonly Checker _checker;
        private readonly NetworkSyntax _network;
        private readonly List<Draft> _drafts = new();
        private readonly List<string> _blockStack = new();
        private readonly Dictionary<string, int> _blockInstances = new();
        private bool _aborted;

        /// <summary>True when an expanded block had a syntax error in its text.</summary>
        public bool UsesBrokenBlock { get; private set; }

        /// <summary>Where each layer of the model is written.</summary>
        public IReadOnlyList<SourceSpan> LayerSpans => _drafts.Select(d => d.Span).ToList();

        public NetworkElaboration(Checker checker, NetworkSyntax network)
        {
            _checker = checker;
            _network = network;
        }

        public NetworkModel? Run()
        {
            var elements = _network.Body.Elements;
            InputSyntax? input = null;
            var budgets = new List<BudgetSyntax>();
            var layers = new List<ElementSyntax>();
            for (int i = 0; i < elements.Count; i++)
            {
                switch (elements[i])
                {
                    case InputSyntax inputSyntax when input == null && layers.Count == 0:
                        input = inputSyntax;
                        break;
                    case InputSyntax inputSyntax:
                        _checker.Report(DiagnosticDescriptors.MisplacedStatement, inputSyntax.Span,
                            input == null ? "`input` must come before the layers" : $"`input` is given twice (first on line {input.Span.StartLine + 1})");
                        break;
                    case BudgetSyntax budget:
                        budgets.Add(budget);
                        break;
                    default:
                        layers.Add(elements[i]);
                        break;
                }
            }
            if (input == null)
            {
                if (!elements.OfType<InputSyntax>().Any())
                    _checker.Report(DiagnosticDescriptors.MissingInput, _network.NameSpan,
                        $"network `{_network.Name}` has no `input` line; add one after the header, e.g. `input 1x28x28` (C x H x W)");
                return null;
            }
            var inputShape = ReadInput(input);
            if (inputShape == null) return null;
            if (layers.Count == 0)
            {
                _checker.Report(DiagnosticDescriptors.EmptyNetwork, _network.NameSpan, $"network `{_network.Name}` has no layers");
                return null;
            }

            var end = Walk(layers, NoParameters, new Node(-1, inputShape, "the network input"), Scope.Root);
            if (end == null || _aborted) return null;
            if (_drafts.Count == 0)
            {
                // Blocks or repeats whose bodies are empty: nothing to generate (and no last layer to read).
                _checker.Report(DiagnosticDescriptors.EmptyNetwork, _network.NameSpan, $"network `{_network.Name}` has no layers: its blocks expand to nothing");
                return null;
            }
            if (!AssignNames()) return null;
            return Assemble(inputShape, budgets);
        }

        private TensorShape? ReadInput(InputSyntax input)
        {
            if (input.Shape == null) return null;
            if (input.Shape.Parts.Count > 4)
            {
                _checker.Report(DiagnosticDescriptors.BadInput, input.Shape.Span,
                    $"`input` takes N, CxL, CxHxW or CxDxHxW, but {input.Shape.Parts.Count} dimensions are given");
                return null;
            }
            if (!_checker._evaluator.TryIntegers(input.Shape, NoParameters, "an input dimension", 1, out var dims)) return null;
            long elements = dims.Aggregate(1L, (a, d) => a * d);
            if (elements > int.MaxValue)
            {
                _checker.Report(DiagnosticDescriptors.ShapeTooLarge, input.Shape.Span, $"the input has {elements:N0} elements per example; at most {int.MaxValue:N0} are supported");
                return null;
            }
            return TensorShape.Of(dims);
        }

        // ---- elaboration ----------------------------------------------------------------

        private Node? Walk(IReadOnlyList<ElementSyntax> elements, IReadOnlyDictionary<string, long> env, Node current, Scope scope)
        {
            for (int index = 0; index < elements.Count; index++)
            {
                var element = elements[index];
                if (_aborted) return null;
                Node? next = element switch
                {
                    LayerSyntax layer => WalkLayer(layer, env, current, scope),
                    BlockCallSyntax call => Expand(call.Name, call.NameSpan, call.Arguments, env, current, scope, call.Span, call.Label),
                    RepeatSyntax repeat => WalkRepeat(repeat, env, current, scope),
                    MergeSyntax merge => WalkMerge(merge, env, current, scope),
                    ResidualSyntax residual => WalkResidual(residual, env, current, scope),
                    InputSyntax misplaced => Misplaced(misplaced.Span, "`input` belongs at the top of a network, before its layers", current),
                    BudgetSyntax misplaced => Misplaced(misplaced.Span, "`budget` belongs at the top of a network, after `input`", current),
                    _ => null,
                };
                if (next == null)
                {
                    if (!_aborted) Lint(elements, index + 1);
                    return null;
                }
                current = next.Value;
            }
            return current;
        }

        /// <summary>After an error the shapes further on are unknown, but unknown layers and options
        /// (CNN1002, CNN1003) need no shapes: report them too, so one build lists every misspelling.</summary>
        private void Lint(IReadOnlyList<ElementSyntax> elements, int from)
        {
            for (int i = from; i < elements.Count; i++)
            {
                switch (elements[i])
                {
                    case LayerSyntax layer:
                        if (LayerFamilies.TryGet(layer.Keyword, out var info))
                        {
                            foreach (var option in layer.Options)
                                if (info.FindOption(option.Name) == null)
                                    _checker._diagnostics.Add(DiagnosticDescriptors.UnknownOption.Create(option.NameSpan, LayerOptions.UnknownOptionMessage(info, option.Name)));
                        }
                        else if (!_checker._blocks.ContainsKey(layer.Keyword))
                        {
                            var candidates = LayerFamilies.Keywords.Concat(_checker._blocks.Keys).Concat(LayerFamilies.StructureKeywords);
                            _checker.Report(DiagnosticDescriptors.UnknownLayer, layer.KeywordSpan,
                                $"unknown layer `{layer.Keyword}`{Suggestions.DidYouMean(layer.Keyword, candidates)}");
                        }
                        break;
                    case RepeatSyntax repeat:
                        Lint(repeat.Body.Elements, 0);
                        break;
                    case MergeSyntax merge:
                        foreach (var branch in merge.Branches) Lint(branch.Elements, 0);
                        break;
                    case ResidualSyntax residual:
                        Lint(residual.Body.Elements, 0);
                        if (residual.Shortcut != null) Lint(residual.Shortcut.Elements, 0);
                        break;
                }
            }
        }

        private Node? Misplaced(SourceSpan span, string message, Node current)
        {
            _checker.Report(DiagnosticDescriptors.MisplacedStatement, span, message);
            return current;
        }

        private Node? WalkLayer(LayerSyntax layer, IReadOnlyDictionary<string, long> env, Node current, Scope scope)
        {
            if (!LayerFamilies.TryGet(layer.Keyword, out var info))
            {
                if (_checker._blocks.ContainsKey(layer.Keyword) && layer.Argument == null && layer.Options.Count == 0)
                    return Expand(layer.Keyword, layer.KeywordSpan, Array.Empty<DimsSyntax>(), env, current, scope, layer.Span, layer.Label);
                if (_checker._blocks.ContainsKey(layer.Keyword))
                {
                    _checker.Report(DiagnosticDescriptors.BadArgument, layer.Span, $"`{layer.Keyword}` is a block: pass its arguments in parentheses, e.g. `{layer.Keyword}(64)`");
                    return null;
                }
                var candidates = LayerFamilies.Keywords.Concat(_checker._blocks.Keys).Concat(LayerFamilies.StructureKeywords);
                _checker.Report(DiagnosticDescriptors.UnknownLayer, layer.KeywordSpan,
                    $"unknown layer `{layer.Keyword}`{Suggestions.DidYouMean(layer.Keyword, candidates)}");
                return null;
            }
            var model = LayerBuilder.Build(layer, info, env, current.Shape, current.Origin, _checker._evaluator, _checker._diagnostics);
            if (model == null) return null;
            return Add(model with { Inputs = EquatableArray.From(current.Index) }, layer.Span, layer.Label == null ? null : scope.Prefix + layer.Label + scope.Suffix, layer.LabelSpan, scope.Prefix,
                $"after `{model.Definition}` on line {layer.Span.StartLine + 1}");
        }

        private Node? Add(LayerModel model, SourceSpan span, string? label, SourceSpan labelSpan, string prefix, string origin)
        {
            if (_drafts.Count >= MaxLayers)
            {
                _checker.Report(DiagnosticDescriptors.ShapeTooLarge, span, $"network `{_network.Name}` expands to more than {MaxLayers:N0} layers");
                _aborted = true;
                return null;
            }
            var draft = new Draft { Model = model with { Index = _drafts.Count }, Span = span, Label = label, LabelSpan = labelSpan, Prefix = prefix };
            _drafts.Add(draft);
            return new Node(draft.Model.Index, model.OutputShape, origin);
        }

        private Node? Expand(string name, SourceSpan nameSpan, IReadOnlyList<DimsSyntax> arguments, IReadOnlyDictionary<string, long> env, Node current, Scope scope, SourceSpan span, string? label)
        {
            if (!_checker._blocks.TryGetValue(name, out var block))
            {
                string message = LayerFamilies.TryGet(name, out _)
                    ? $"`{name}` is a layer, not a block: write `{name} …` without parentheses"
                    : $"unknown block `{name}`{Suggestions.DidYouMean(name, _checker._blocks.Keys.Concat(LayerFamilies.Keywords))}";
                _checker.Report(LayerFamilies.TryGet(name, out _) ? DiagnosticDescriptors.BadArgument : DiagnosticDescriptors.UnknownBlock, nameSpan, message);
                return null;
            }
            if (_checker._brokenDeclarations.Contains(block)) UsesBrokenBlock = true;
            if (_blockStack.Contains(name))
            {
                int start = _blockStack.IndexOf(name);
                var cycle = _blockStack.Skip(start).Concat(new[] { name });
                _checker.Report(DiagnosticDescriptors.RecursiveBlock, nameSpan, $"block `{name}` uses itself ({string.Join(" → ", cycle)}); blocks cannot be recursive");
                return null;
            }
            if (_blockStack.Count >= MaxBlockDepth)
            {
                _checker.Report(DiagnosticDescriptors.RecursiveBlock, nameSpan, $"blocks nest more than {MaxBlockDepth} deep");
                return null;
            }
            int required = block.Parameters.Count(p => p.Default == null);
            if (arguments.Count < required || arguments.Count > block.Parameters.Count)
            {
                string expected = required == block.Parameters.Count ? $"{required}" : $"{required} to {block.Parameters.Count}";
                string signature = string.Join(", ", block.Parameters.Select(p => p.Default == null ? p.Name : p.Name + " = …"));
                _checker.Report(DiagnosticDescriptors.BlockArgumentCount, span,
                    $"block `{name}({signature})` takes {expected} argument{(block.Parameters.Count == 1 ? "" : "s")} but gets {arguments.Count}");
                return null;
            }
            var inner = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int i = 0; i < block.Parameters.Count; i++)
            {
                var parameter = block.Parameters[i];
                ValueSyntax value;
                IReadOnlyDictionary<string, long> scopeForValue;
                if (i < arguments.Count)
                {
                    if (arguments[i].Parts.Count != 1)
                    {
                        _checker.Report(DiagnosticDescriptors.BadArgument, arguments[i].Span, $"argument `{parameter.Name}` of block `{name}` takes one number");
                        return null;
                    }
                    value = arguments[i].Parts[0];
                    scopeForValue = env;
                }
                else
                {
                    value = parameter.Default!;
                    scopeForValue = inner;
                }
                if (!_checker._evaluator.TryInteger(value, scopeForValue, $"argument `{parameter.Name}` of block `{name}`", int.MinValue, int.MaxValue, out int number)) return null;
                inner[parameter.Name] = number;
            }
            _blockInstances.TryGetValue(name, out int instance);
            _blockInstances[name] = ++instance;
            var innerScope = new Scope(scope.Prefix + (label ?? name + instance) + scope.Suffix + ".", string.Empty);
            _blockStack.Add(name);
            try
            {
                return Walk(block.Body.Elements, inner, current, innerScope);
            }
            finally
            {
                _blockStack.RemoveAt(_blockStack.Count - 1);
            }
        }

        private Node? WalkRepeat(RepeatSyntax repeat, IReadOnlyDictionary<string, long> env, Node current, Scope scope)
        {
            if (repeat.Count.Parts.Count != 1)
            {
                _checker.Report(DiagnosticDescriptors.BadArgument, repeat.Count.Span, "`repeat` takes one count");
                return null;
            }
            if (!_checker._evaluator.TryInteger(repeat.Count.Parts[0], env, "the repeat count", 1, MaxRepeat, out int count)) return null;
            for (int i = 1; i <= count; i++)
            {
                int layersBefore = _drafts.Count;
                var next = Walk(repeat.Body.Elements, env, current, scope with { Suffix = scope.Suffix + "_" + i });
                if (next == null) return null;
                current = next.Value;
                // A body that adds no layers (empty, or calls of empty blocks) does the same nothing every
                // time: stop, or nested repeats of it spin for count^depth iterations.
                if (_drafts.Count == layersBefore) break;
            }
            return current;
        }

        private Node? WalkMerge(MergeSyntax merge, IReadOnlyDictionary<string, long> env, Node current, Scope scope)
        {
            var ends = new List<Node>();
            for (int b = 0; b < merge.Branches.Count; b++)
            {
                var branch = merge.Branches[b];
                var end = branch.Elements.Count == 0 ? current : Walk(branch.Elements, env, current, scope);
                if (end == null)
                {
                    if (!_aborted) for (int rest = b + 1; rest < merge.Branches.Count; rest++) Lint(merge.Branches[rest].Elements, 0);
                    return null;
                }
                ends.Add(end.Value);
            }
            string keyword = merge.Kind == MergeKind.Concat ? "concat" : "add";
            var branchEnds = ends.Select(e => new MergeFamily.End(e.Index, e.Shape)).ToList();
            var model = merge.Kind == MergeKind.Concat
                ? MergeFamily.Concat(branchEnds, merge.KeywordSpan, _checker._diagnostics)
                : MergeFamily.Add(branchEnds, merge.KeywordSpan, _checker._diagnostics);
            if (model == null) return null;
            return Add(model, merge.KeywordSpan, null, default, scope.Prefix, $"after the `{keyword}` on line {merge.Span.StartLine + 1}");
        }

        private Node? WalkResidual(ResidualSyntax residual, IReadOnlyDictionary<string, long> env, Node current, Scope scope)
        {
            var body = residual.Body.Elements.Count == 0 ? current : Walk(residual.Body.Elements, env, current, scope);
            if (body == null)
            {
                if (!_aborted && residual.Shortcut != null) Lint(residual.Shortcut.Elements, 0);
                return null;
            }
            Node? shortcut = residual.Shortcut == null || residual.Shortcut.Elements.Count == 0 ? current : Walk(residual.Shortcut.Elements, env, current, scope);
            if (shortcut == null) return null;
            var model = MergeFamily.Residual(new MergeFamily.End(body.Value.Index, body.Value.Shape), new MergeFamily.End(shortcut.Value.Index, shortcut.Value.Shape),
                residual.Shortcut != null, residual.KeywordSpan, _checker._diagnostics);
            if (model == null) return null;
            return Add(model, residual.KeywordSpan, null, default, scope.Prefix, $"after the `residual` on line {residual.Span.StartLine + 1}");
        }

        // ---- names, totals, summary -----------------------------------------------------

        private bool AssignNames()
        {
            var taken = new Dictionary<string, Draft>(StringComparer.Ordinal);
            bool ok = true;
            foreach (var draft in _drafts.Where(d => d.Label != null))
            {
                if (taken.TryGetValue(draft.Label!, out var earlier))
                {
                    _checker.Report(DiagnosticDescriptors.DuplicateLayerName, draft.LabelSpan,
                        $"layer name `{draft.Label}` is already used on line {earlier.LabelSpan.StartLine + 1}");
                    ok = false;
                    continue;
                }
                taken[draft.Label!] = draft;
                draft.Name = draft.Label!;
            }
            if (!ok) return false;
            var counters = new Dictionary<string, int>();
            foreach (var draft in _drafts.Where(d => d.Label == null))
            {
                // Counted per block instance: `stage2.conv1`, `stage2.conv2`, then `stage3.conv1`.
                string kind = draft.Prefix + draft.Model.Keyword;
                counters.TryGetValue(kind, out int n);
                string name;
                do { name = kind + (++n); } while (taken.ContainsKey(name));
                counters[kind] = n;
                taken[name] = draft;
                draft.Name = name;
            }
            return true;
        }

        private NetworkModel Assemble(TensorShape inputShape, List<BudgetSyntax> budgets)
        {
            var consumers = new List<int>[_drafts.Count];
            for (int i = 0; i < _drafts.Count; i++) consumers[i] = new List<int>();
            var inputConsumers = new List<int>();
            foreach (var draft in _drafts)
                foreach (int producer in draft.Model.Inputs)
                    (producer < 0 ? inputConsumers : consumers[producer]).Add(draft.Model.Index);

            var properties = PropertyNames.Assign(_network.Name, _drafts.Select(d => d.Name).ToList());
            var layers = new List<LayerModel>();
            for (int i = 0; i < _drafts.Count; i++)
            {
                var draft = _drafts[i];
                var m = draft.Model;
                var fanInit = new ParameterInit(m.Parameters.Count > 0 && FeedsReluLike(i, consumers) ? InitKind.HeUniform : InitKind.GlorotUniform);
                layers.Add(m with
                {
                    Name = draft.Name,
                    PropertyName = properties[i],
                    Parameters = m.Parameters.Select(p => p with { Name = draft.Name + "." + p.Name, Init = p.FanInitialized ? fanInit : p.Init }).ToEquatableArray(),
                    State = m.State.Select(s => s with { Name = draft.Name + "." + s.Name }).ToEquatableArray(),
                });
            }

            WarnAboutSoftmax(consumers);
            long parameters = layers.Sum(l => l.ParameterCount);
            long macs = layers.Sum(l => l.Macs);
            var network = new NetworkModel
            {
                Name = _network.Name,
                Namespace = _network.Namespace,
                SourcePath = _checker._path,
                InputShape = inputShape,
                OutputShape = layers[layers.Count - 1].OutputShape,
                Layers = layers.ToEquatableArray(),
                ParameterCount = parameters,
                Macs = macs,
            };
            foreach (var layer in layers)
            {
                if (layer.ParameterCount > 10_000_000)
                    _checker.Report(DiagnosticDescriptors.HugeLayer, _drafts[layer.Index].Span,
                        $"{layer.Name} (`{layer.Definition}`) has {layer.ParameterCount:N0} parameters = {layer.ParameterFormula}, over 10M in one layer; consider pooling or a smaller layer before it");
            }
            CheckBudgets(budgets, parameters, macs);
            return network;
        }

        private bool FeedsReluLike(int index, List<int>[] consumers)
        {
            int current = index;
            for (int guard = 0; guard < 8; guard++)
            {
                if (consumers[current].Count != 1) return false;
                var next = _drafts[consumers[current][0]].Model;
                switch (next.Accept(ReluReach.Instance))
                {
                    case Reach.ReluLike: return true;
                    case Reach.Stops: return false;
                    case Reach.PassesThrough: current = next.Index; break;
                }
            }
            return false;
        }

        private void WarnAboutSoftmax(List<int>[] consumers)
        {
            foreach (var draft in _drafts.Where(d => d.Model is SoftmaxLayer { Log: false }))
            {
                foreach (int c in consumers[draft.Model.Index])
                {
                    var consumer = _drafts[c];
                    if (consumer.Model is ActivationLayer or SoftmaxLayer)
                        _checker.Report(DiagnosticDescriptors.ActivationAfterSoftmax, consumer.Span,
                            $"`{consumer.Model.Definition}` right after `softmax` squashes probabilities; softmax is usually the last layer");
                    else
                        _checker.Report(DiagnosticDescriptors.SoftmaxNotLast, draft.Span,
                            $"`softmax` is followed by `{consumer.Model.Definition}`; softmax is usually the last layer (training fuses it with the loss)");
                }
            }
        }

        private void CheckBudgets(List<BudgetSyntax> budgets, long parameters, long macs)
        {
            foreach (var budget in budgets)
            {
                foreach (var item in budget.Items)
                {
                    if (item.Limit == null) continue;
                    string what = item.What.ToLowerInvariant();
                    if (what != "params" && what != "macs")
                    {
                        _checker.Report(DiagnosticDescriptors.UnknownOption, item.WhatSpan,
                            $"unknown budget `{item.What}`{Suggestions.DidYouMean(item.What, new[] { "params", "macs" })} (budgets: params, macs)");
                        continue;
                    }
                    if (!_checker._evaluator.TryLong(item.Limit, NoParameters, "a budget", out long limit)) continue;
                    long actual = what == "params" ? parameters : macs;
                    if (actual <= limit) continue;
                    string written = _checker._source.Slice(item.Limit.Span);
                    if (what == "params")
                        _checker.Report(DiagnosticDescriptors.ParameterBudgetExceeded, item.Span,
                            $"`{_network.Name}` has {actual:N0} parameters, over its budget of {written} ({limit:N0}) by {actual - limit:N0}");
                    else
                        _checker.Report(DiagnosticDescriptors.MacBudgetExceeded, item.Span,
                            $"`{_network.Name}` needs {actual:N0} multiply-adds per example, over its budget of {written} ({limit:N0}) by {actual - limit:N0}");
                }
            }
        }
    }
}
