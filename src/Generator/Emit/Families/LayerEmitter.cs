using System;
using System.Collections.Generic;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Generator.Emit.Cpu;
using CnnDsl.Generator.Emit.Gpu;

namespace CnnDsl.Generator.Emit.Families;

/// <summary>
/// One layer family's emitter, CPU and GPU side by side: the geometry its kernels take, the statements
/// of its forward and backward passes, and its typed property. The CPU and GPU model emitters write the
/// classes, the memory and the drivers around these, and call them through <see cref="LayerEmitters.For"/>.
/// </summary>
internal abstract class LayerEmitter
{
    /// <summary>The property type of <c>model.Conv1</c> (CnnDsl.Runtime.Layer or a subclass).</summary>
    public abstract string PropertyType(LayerModel layer);

    /// <summary>The expression that builds that property, from its name, keyword, definition, output shape
    /// and the expressions of its parameter and state tensors.</summary>
    public abstract string PropertyValue(LayerModel layer, LayerProperty property);

    /// <summary>Static fields of the shapes the CPU kernels take (empty where they take plain numbers).</summary>
    public abstract IEnumerable<string> CpuGeometry(CpuLayer l);

    /// <summary>Whether training and inference compute different things (batch statistics, dropout).</summary>
    public abstract bool ForwardDependsOnMode { get; }

    public abstract IEnumerable<string> CpuForward(CpuLayer l, bool training);

    public abstract IEnumerable<string> CpuBackward(CpuLayer l);

    /// <summary>The GPU geometry fields (<c>new GpuGeometry { … }</c> initialisers), one per name.</summary>
    public abstract IEnumerable<(string Name, string Fields)> GpuGeometry(GpuLayer l);

    public abstract IEnumerable<string> GpuForward(GpuLayer l, bool training);

    public abstract IEnumerable<string> GpuBackward(GpuLayer l);

    /// <summary>A plan that gives a layer a kernel its family does not have: an internal error, reported as CNN9001.</summary>
    protected static InvalidOperationException WrongKernel(LayerModel layer, CpuKernel kernel) =>
        new($"the plan gives {layer.Name} ({layer.Keyword}) the kernel {kernel}, which its family does not have");
}

/// <summary>A family emitter for one layer record.</summary>
internal abstract class LayerEmitter<TLayer> : LayerEmitter where TLayer : LayerModel
{
    public sealed override string PropertyType(LayerModel layer) => PropertyType((TLayer)layer);
    public sealed override string PropertyValue(LayerModel layer, LayerProperty property) => PropertyValue((TLayer)layer, property);
    public sealed override IEnumerable<string> CpuGeometry(CpuLayer l) => CpuGeometry((TLayer)l.Layer, l);
    public sealed override IEnumerable<string> CpuForward(CpuLayer l, bool training) => CpuForward((TLayer)l.Layer, l, training);
    public sealed override IEnumerable<string> CpuBackward(CpuLayer l) => CpuBackward((TLayer)l.Layer, l);
    public sealed override IEnumerable<(string Name, string Fields)> GpuGeometry(GpuLayer l) => GpuGeometry((TLayer)l.Layer, l);
    public sealed override IEnumerable<string> GpuForward(GpuLayer l, bool training) => GpuForward((TLayer)l.Layer, l, training);
    public sealed override IEnumerable<string> GpuBackward(GpuLayer l) => GpuBackward((TLayer)l.Layer, l);

    protected virtual string PropertyType(TLayer layer) => "global::CnnDsl.Runtime.Layer";

    protected virtual string PropertyValue(TLayer layer, LayerProperty p) => p.PlainLayer();

    protected abstract IEnumerable<string> CpuGeometry(TLayer layer, CpuLayer l);
    protected abstract IEnumerable<string> CpuForward(TLayer layer, CpuLayer l, bool training);
    protected abstract IEnumerable<string> CpuBackward(TLayer layer, CpuLayer l);
    protected abstract IEnumerable<(string Name, string Fields)> GpuGeometry(TLayer layer, GpuLayer l);
    protected abstract IEnumerable<string> GpuForward(TLayer layer, GpuLayer l, bool training);
    protected abstract IEnumerable<string> GpuBackward(TLayer layer, GpuLayer l);

    protected static IEnumerable<string> None => Array.Empty<string>();

    protected static IEnumerable<(string, string)> NoGeometry => Array.Empty<(string, string)>();

    protected static IEnumerable<string> One(string statement) => new[] { statement };
}

/// <summary>What a layer property's constructor is built from.</summary>
internal sealed class LayerProperty
{
    private readonly Func<int, string> _parameter;
    private readonly Func<int, string> _state;

    public LayerProperty(LayerModel layer, Func<int, string> parameter, Func<int, string> state)
    {
        Layer = layer;
        _parameter = parameter;
        _state = state;
    }

    public LayerModel Layer { get; }

    /// <summary>The expression of the layer's parameter <paramref name="p"/> (a <c>Parameter</c> of the model's list).</summary>
    public string Parameter(int p) => _parameter(p);

    public string State(int s) => _state(s);

    /// <summary><c>"conv1", "conv", "conv 5x5x6 p2", new[] { 6, 28, 28 }</c>.</summary>
    public string Common(bool withKeyword = true) =>
        $"{LayerNames.Literal(Layer.Name)}, {(withKeyword ? LayerNames.Literal(Layer.Keyword) + ", " : "")}{LayerNames.Literal(Layer.Definition)}, new[] {{ {string.Join(", ", Layer.OutputShape.Dimensions)} }}";

    /// <summary>A plain <c>Layer</c> with the layer's parameters, if any.</summary>
    public string PlainLayer()
    {
        if (Layer.Parameters.Count == 0) return $"new global::CnnDsl.Runtime.Layer({Common()})";
        var parameters = new List<string>();
        for (int p = 0; p < Layer.Parameters.Count; p++) parameters.Add(Parameter(p));
        return $"new global::CnnDsl.Runtime.Layer({Common()}, new[] {{ {string.Join(", ", parameters)} }})";
    }
}
