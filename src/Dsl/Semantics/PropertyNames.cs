using System;
using System.Collections.Generic;
using System.Text;

namespace CnnDsl.Dsl.Semantics;

/// <summary>
/// C# property names for layers: <c>conv1</c> → <c>Conv1</c>, <c>basic2.conv1</c> → <c>Basic2Conv1</c>, kept
/// clear of every other member of the generated class: its own members (<see cref="Reserved"/>), and
/// the members it names after a layer, which are the layer's property name and one of
/// <see cref="MemberSuffixes"/> (<c>Conv1Weight</c>, <c>Conv1Out</c>). A layer whose name would be reserved
/// or end in such a suffix gets <c>Layer</c> appended (a layer labelled <c>fanOut</c> is <c>FanOutLayer</c>).
/// </summary>
public static class PropertyNames
{
    /// <summary>The generated class's own members, public and private, and its nested types.</summary>
    public static IReadOnlyCollection<string> Reserved => s_reserved;

    private static readonly HashSet<string> s_reserved = new(StringComparer.Ordinal)
    {
        // the model's public surface (IModel, the contract part)
        "Name", "InputShape", "OutputShape", "InputDimensions", "OutputDimensions", "InputSize", "OutputSize",
        "ParameterCount", "MultiplyAdds", "Summary", "Parameters", "State", "Forward", "ForwardTraining", "Backward",
        "InputGradient", "TrainStep", "LastOutput", "Save", "Load", "Layers", "Seed", "ToDevice",
        // object's members and other words a model may one day need
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "Dispose", "Training", "Precision",
        // private members and nested types of the generated code
        "Input", "Output", "NetworkInput", "Train", "Gradient", "Live", "ArgmaxAt", "MaskAt", "ParameterAt", "GradientAt",
        "StateAt", "SavedAt", "ForwardTrainingLayers", "ForwardInferenceLayers", "BackwardWithInputGradient",
        "BackwardForTraining", "ZeroGradients", "EnsureCapacity", "CheckTrainingBatch", "RunForwardTraining",
        "GpuProgram", "Layout", "Repeat",
    };

    /// <summary>
    /// What the generated code appends to a layer's property name for the members it names after the layer:
    /// its tensors, views of its parameters and state and their gradients, its geometry, its passes. Where one
    /// ends with another (<c>WeightGradient</c>, <c>Gradient</c>), what comes before is one too (<c>Weight</c>):
    /// then no layer's member can spell another's, since no property name ends with a suffix.
    /// </summary>
    public static IReadOnlyList<string> MemberSuffixes { get; } = new[]
    {
        "Out", "Gradient", "Live", "Argmax", "Mask", "Geometry", "Saved", "State", "SavedMean", "SavedInvStd",
        "Weight", "Bias", "WeightGradient", "BiasGradient", "RunningMean", "RunningVar", "NumBatchesTracked",
        "Forward", "ForwardTraining", "ForwardInference", "Backward", "BackwardIntoConvolution",
    };

    public static List<string> Assign(string className, IReadOnlyList<string> layerNames)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(layerNames.Count);
        foreach (var name in layerNames)
        {
            string candidate = Pascal(name);
            if (s_reserved.Contains(candidate) || candidate == className || EndsInSuffix(candidate)) candidate += "Layer";
            string unique = candidate;
            for (int i = 2; !used.Add(unique); i++) unique = candidate + "_" + i;
            result.Add(unique);
        }
        return result;
    }

    private static bool EndsInSuffix(string name)
    {
        foreach (var suffix in MemberSuffixes)
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary><c>conv1</c> → <c>Conv1</c>, <c>running_mean</c> → <c>RunningMean</c>: each part after a dot or
    /// underscore capitalised, the separators dropped; a name that would not start with a letter gets <c>Layer</c> first.</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (c == '.') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (sb.Length == 0 || !char.IsLetter(sb[0])) sb.Insert(0, "Layer");
        return sb.ToString();
    }

    /// <summary>A parameter's or state tensor's own name as a member suffix: <c>weight</c> → <c>Weight</c>,
    /// <c>running_mean</c> → <c>RunningMean</c>.</summary>
    public static string Member(string shortName)
    {
        var sb = new StringBuilder(shortName.Length);
        bool upper = true;
        foreach (char c in shortName)
        {
            if (c == '_') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return sb.ToString();
    }
}
