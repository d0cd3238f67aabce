using System;
using System.Collections.Generic;
using System.Text;

namespace CnnDsl.Dsl.Semantics;

/// <summary>C# property names for layers: <c>conv1</c> → <c>Conv1</c>, <c>basic2.conv1</c> → <c>Basic2Conv1</c>,
/// kept clear of the generated class's own members and of the class name.</summary>
internal static class PropertyNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "Name", "InputShape", "OutputShape", "InputDimensions", "OutputDimensions", "InputSize", "OutputSize",
        "ParameterCount", "MultiplyAdds", "Summary", "Parameters", "State", "Forward", "ForwardTraining", "Backward",
        "InputGradient", "TrainStep", "LastOutput", "Save", "Load", "Layers", "Seed", "Equals", "GetHashCode",
        "ToString", "GetType", "MemberwiseClone", "Finalize", "Dispose", "Training", "Precision",
    };

    public static List<string> Assign(string className, IReadOnlyList<string> layerNames)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(layerNames.Count);
        foreach (var name in layerNames)
        {
            string candidate = Pascal(name);
            if (Reserved.Contains(candidate) || candidate == className) candidate += "Layer";
            string unique = candidate;
            for (int i = 2; !used.Add(unique); i++) unique = candidate + "_" + i;
            result.Add(unique);
        }
        return result;
    }

    private static string Pascal(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (c == '.') { upper = true; continue; }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, "Layer");
        return sb.ToString();
    }
}
