using System.Text;
using System.Text.Json.Nodes;

namespace CnnDsl.Runtime.Tests.Checkpoints;

/// <summary>
/// A deliberately separate, minimal safetensors reader written from the format description (it shares no code with
/// the runtime): length prefix, JSON header, raw little-endian data addressed by data_offsets relative to the data start.
/// </summary>
internal static class MinimalSafetensorsReader
{
    public sealed record Tensor(string DType, long[] Shape, byte[] Bytes);

    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata, int HeaderLength) Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | file[i];
        var header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)n))!.AsObject();
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var offsets = node!["data_offsets"]!.AsArray();
            long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
            tensors[name] = new Tensor(
                node["dtype"]!.GetValue<string>(),
                node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray(),
                file[(int)(8 + n + begin)..(int)(8 + n + end)]);
        }
        return (tensors, metadata, (int)n);
    }

    public static float[] Floats(byte[] bytes)
    {
        var result = new float[bytes.Length / 4];
        for (int i = 0; i < result.Length; i++)
            result[i] = BitConverter.Int32BitsToSingle(bytes[4 * i] | bytes[4 * i + 1] << 8 | bytes[4 * i + 2] << 16 | bytes[4 * i + 3] << 24);
        return result;
    }
}
