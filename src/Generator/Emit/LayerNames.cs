using System.Globalization;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;
using CnnDsl.Dsl.Semantics;

namespace CnnDsl.Generator.Emit;

/// <summary>
/// The names the generated code gives a network's members, one home for both back ends: a layer's
/// property name and a suffix (<see cref="PropertyNames.MemberSuffixes"/>, which the Dsl keeps layer
/// names clear of), and <c>NetworkInput</c> for the network input's tensors.
/// </summary>
internal sealed class LayerNames
{
    private readonly NetworkModel _network;

    public LayerNames(NetworkModel network) => _network = network;

    /// <summary>The name of a tensor: its producer's property name, or <c>NetworkInput</c>.</summary>
    public string Tensor(int producer) => producer < 0 ? "NetworkInput" : _network.Layers[producer].PropertyName;

    public string Layer(int layer) => _network.Layers[layer].PropertyName;

    /// <summary>A view of a parameter: <c>Conv1Weight</c>.</summary>
    public string Parameter(int layer, int p) => Layer(layer) + PropertyNames.Member(ShortName(_network.Layers[layer].Parameters[p].Name));

    public string State(int layer, int s) => Layer(layer) + PropertyNames.Member(ShortName(_network.Layers[layer].State[s].Name));

    private static string ShortName(string qualified) => qualified.Substring(qualified.LastIndexOf('.') + 1);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A value as an exact C# literal of the element type.</summary>
    public static string Real(double value) => "(Real)" + value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A float literal (the GPU kernels compute in float).</summary>
    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>A string as a C# literal.</summary>
    public static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>The layer's line of the generated code's comments: name, definition, shapes, cost.</summary>
    public static string Header(NetworkModel network, LayerModel layer)
    {
        string inputs = layer.Inputs.Count > 1
            ? string.Join(" + ", System.Linq.Enumerable.Select(layer.Inputs, p => ShapeOf(network, p).ToString()))
            : ShapeOf(network, layer.Inputs[0]).ToString();
        string header = $"{layer.Name}: {layer.Definition}  {inputs} -> {layer.OutputShape}";
        if (layer.ParameterCount > 0) header += $"  ({layer.ParameterCount:N0} parameters, {layer.Macs:N0} MACs/example)";
        return header;
    }

    public static TensorShape ShapeOf(NetworkModel network, int producer) => producer < 0 ? network.InputShape : network.Layers[producer].OutputShape;
}
