using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using CnnDsl.Dsl.Model;
using CnnDsl.Dsl.Planning;

namespace CnnDsl.Dsl.Semantics;

/// <summary>The human-readable accounts of a network: the info diagnostics and the summary table.</summary>
internal static class SummaryWriter
{
    public const string Conventions =
        "Parameters are learned weights (batchnorm running statistics are buffers, not counted: PyTorch's convention). " +
        "MACs are weight multiply-accumulates of conv and dense layers per example; bias additions are not counted (torchvision's convention). " +
        "Activation memory is float32 per example, as the generated CPU code allocates it: the inference arena (a tensor's slot is reused once its last reader has run), and the layer outputs a training step keeps for backward (a fused chain such as conv → relu → maxpool keeps only its last).";

    public static string LayerLine(LayerModel layer, LayerStep step)
    {
        string parameters = layer.ParameterCount == 0 ? "params 0" : $"params {N(layer.ParameterCount)} = {layer.ParameterFormula}";
        return $"{layer.Name}  {layer.Definition}  -> {layer.OutputShape}  {parameters}  MACs {N(layer.Macs)}  kernel {step.Description}";
    }

    public static string NetworkLine(NetworkModel network, NetworkPlan plan) =>
        $"{network.Name}  {N(network.ParameterCount)} parameters ({Bytes(network.ParameterCount * 4)})  {Macs(network.Macs)} MACs/example  " +
        $"activations {Bytes(plan.Inference.Elements * 4L)} (inference), {Bytes(plan.Training.Elements * 4L)} (training) per example";

    public static string Write(NetworkModel network, NetworkPlan plan)
    {
        var rows = new List<string[]> { new[] { "Layer", "Definition", "Output shape", "Param #", "MACs", "Kernel" } };
        rows.Add(new[] { "input", "input " + network.InputShape, network.InputShape.ToString(), "", "", "" });
        foreach (var layer in network.Layers)
        {
            rows.Add(new[]
            {
                layer.Name,
                layer.Definition,
                layer.OutputShape.ToString(),
                layer.ParameterCount == 0 ? "" : N(layer.ParameterCount),
                layer.Macs == 0 ? "" : N(layer.Macs),
                plan.Steps[layer.Index].Description,
            });
        }
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        int total = widths.Sum() + 5 * 2;
        var sb = new StringBuilder();
        sb.Append(network.Name).Append(" (").Append(string.IsNullOrEmpty(network.SourcePath) ? "<unknown file>" : network.SourcePath).Append(")\n");
        sb.Append(new string('=', total)).Append('\n');
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            string line = row[0].PadRight(widths[0]) + "  " + row[1].PadRight(widths[1]) + "  " + row[2].PadRight(widths[2]) + "  " +
                row[3].PadLeft(widths[3]) + "  " + row[4].PadLeft(widths[4]) + "  " + row[5];
            sb.Append(line.TrimEnd()).Append('\n'); // the input row has no kernel: no trailing blanks
            if (r == 0) sb.Append(new string('-', total)).Append('\n');
        }
        sb.Append(new string('=', total)).Append('\n');
        sb.Append("Total parameters: ").Append(N(network.ParameterCount)).Append(" (").Append(Bytes(network.ParameterCount * 4)).Append(" as float32)\n");
        sb.Append("MACs per example: ").Append(N(network.Macs)).Append(" (").Append(Macs(network.Macs)).Append(")\n");
        sb.Append("Activation memory per example: ").Append(Bytes(plan.Inference.Elements * 4L)).Append(" (inference), ")
          .Append(Bytes(plan.Training.Elements * 4L)).Append(" (training)\n");
        sb.Append("Input ").Append(network.InputShape).Append(" -> output ").Append(network.OutputShape).Append('\n');
        sb.Append(Conventions).Append('\n');
        return sb.ToString();
    }

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Macs(long macs) => macs >= 1_000_000_000
        ? (macs / 1e9).ToString("0.###", CultureInfo.InvariantCulture) + " G"
        : (macs / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " M";

    public static string Bytes(long bytes)
    {
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        if (bytes < 1024 * 1024) return (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";
        if (bytes < 1024L * 1024 * 1024) return (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        return (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";
    }
}
