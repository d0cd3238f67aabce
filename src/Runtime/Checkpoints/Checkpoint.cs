using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CnnDsl.Runtime;

/// <summary>
/// Model checkpoints in the safetensors format (readable by PyTorch's <c>safetensors.torch.load_file</c>):
/// an 8-byte little-endian header length, a JSON header
/// <c>{"name":{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}, ..., "__metadata__":{...}}</c> padded with
/// spaces to a multiple of 8 bytes, then the raw little-endian tensor data, contiguous, in header order.
/// Tensors carry PyTorch's names (<see cref="Parameter{T}.Name"/>, <see cref="StateTensor.Name"/>); an
/// <see cref="StateKind.Int64Counter"/> is written as a 0-d <c>I64</c> tensor (PyTorch's <c>num_batches_tracked</c>).
/// <para>Saving is atomic: the file is written to a temporary file in the same directory, flushed to disk and renamed
/// over the target, so a failed save leaves the previous file intact. Loading validates the whole file against the
/// model before writing anything into it, and throws <see cref="InvalidDataException"/> naming the file and the problem.</para>
/// </summary>
public static class Checkpoint
{
    public static void Save(string path, IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(state);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are written on little-endian machines only.");

        var entries = Describe(parameters, state);
        byte[] header = Header(entries, metadata);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        string temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                Span<byte> counter = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                for (int i = 0; i < parameters.Count; i++)
                    stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)parameters[i].Value));
                for (int i = 0; i < state.Count; i++)
                {
                    var s = state[i];
                    if (s.Kind == StateKind.Int64Counter)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(counter, (long)s.Value[0]);
                        stream.Write(counter);
                    }
                    else stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)s.Value));
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Validates the file against <paramref name="parameters"/> and <paramref name="state"/>, then copies
    /// the values into them. Returns the header's <c>__metadata__</c> (empty if absent).</summary>
    public static IReadOnlyDictionary<string, string> Load(string path, IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state)
    {
        var prepared = Prepare(path, parameters, state);
        prepared.Apply();
        return prepared.Metadata;
    }

    /// <summary>A checkpoint read and fully validated against its targets, not yet copied into them.</summary>
    internal sealed class Prepared
    {
        private readonly byte[] _file;
        private readonly List<(Target Target, long Begin)> _copies;

        internal Prepared(byte[] file, List<(Target, long)> copies, IReadOnlyDictionary<string, string> metadata)
        {
            _file = file;
            _copies = copies;
            Metadata = metadata;
        }

        public IReadOnlyDictionary<string, string> Metadata { get; }

        public void Apply()
        {
            foreach (var (target, begin) in _copies)
            {
                var bytes = _file.AsSpan((int)begin, (int)target.ByteLength);
                if (target.State is { Kind: StateKind.Int64Counter } counter)
                    counter.Value[0] = BinaryPrimitives.ReadInt64LittleEndian(bytes);
                else
                    MemoryMarshal.Cast<byte, float>(bytes).CopyTo(target.Values);
            }
        }
    }

    internal readonly record struct Target(string Name, string DType, int[] Shape, long ByteLength, Parameter? Parameter, StateTensor? State)
    {
        public Span<float> Values => Parameter is not null ? Parameter.Value : State!.Value;
    }

    internal static Prepared Prepare(string path, IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state)
    {
        ArgumentNullException.ThrowIfNull(path);
        var expected = Describe(parameters, state).ToDictionary(t => t.Name);
        byte[] file = File.ReadAllBytes(path);

        if (file.Length < 8)
            throw Bad(path, $"the file is {file.Length} bytes, too short for the 8-byte header length (truncated?)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8))
            throw Bad(path, $"the header length field says {headerLength:N0} bytes but only {file.Length - 8:N0} bytes follow (truncated or not a safetensors file)");
        long dataStart = 8 + (long)headerLength;
        long dataLength = file.Length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw Bad(path, $"the header is not well-formed JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(path, $"the header is a JSON {document.RootElement.ValueKind}, not an object");

            var metadata = new Dictionary<string, string>();
            var found = new List<(Target Target, long Begin, long End)>();
            var unexpected = new List<string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ entry '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (!expected.TryGetValue(property.Name, out var target)) { unexpected.Add(property.Name); continue; }
                var (dtype, shape, begin, end) = ReadEntry(path, property);
                if (dtype != target.DType)
                    throw Bad(path, $"tensor '{target.Name}' has dtype {dtype} but the model expects {target.DType}");
                if (!shape.SequenceEqual(target.Shape))
                    throw Bad(path, $"tensor '{target.Name}' has shape {ShapeText(shape)} in the file but the model expects {ShapeText(target.Shape)}");
                if (end - begin != target.ByteLength)
                    throw Bad(path, $"tensor '{target.Name}' has data_offsets [{begin}, {end}] ({end - begin} bytes) but {dtype} {ShapeText(shape)} needs {target.ByteLength} bytes");
                if (end > dataLength)
                    throw Bad(path, $"tensor '{target.Name}' ends at byte {end:N0} of the data but the data section has only {dataLength:N0} bytes (truncated?)");
                if (found.Any(f => f.Target.Name == target.Name))
                    throw Bad(path, $"tensor '{target.Name}' appears twice");
                found.Add((target, begin, end));
            }

            if (unexpected.Count > 0)
                throw Bad(path, $"unexpected tensor{(unexpected.Count > 1 ? "s" : "")} {string.Join(", ", unexpected.Select(n => $"'{n}'"))} not in the model");
            var missing = expected.Keys.Where(name => !found.Any(f => f.Target.Name == name)).ToList();
            if (missing.Count > 0)
                throw Bad(path, $"missing tensor{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(n => $"'{n}'"))}");

            long position = 0;
            foreach (var f in found.OrderBy(f => f.Begin))
            {
                if (f.Begin != position)
                    throw Bad(path, $"tensor '{f.Target.Name}' starts at data byte {f.Begin:N0} but the previous tensor ends at {position:N0}: data_offsets are not contiguous");
                position = f.End;
            }
            if (position != dataLength)
                throw Bad(path, $"the tensors cover {position:N0} bytes but the data section has {dataLength:N0} bytes");

            var copies = found.Select(f => (f.Target, dataStart + f.Begin)).ToList();
            return new Prepared(file, copies, metadata);
        }
    }

    private static (string DType, int[] Shape, long Begin, long End) ReadEntry(string path, JsonProperty property)
    {
        string name = property.Name;
        var e = property.Value;
        if (e.ValueKind != JsonValueKind.Object) throw Bad(path, $"header entry '{name}' is not an object");
        if (!e.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}' has no dtype string");
        if (!e.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has no shape array");
        if (!e.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}' has no data_offsets [begin, end]");
        var dims = new int[shape.GetArrayLength()];
        int i = 0;
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out dims[i]) || dims[i] < 0)
                throw Bad(path, $"tensor '{name}' has an invalid dimension {d.GetRawText()} in its shape");
            i++;
        }
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad(path, $"tensor '{name}' has invalid data_offsets {offsets.GetRawText()}");
        return (dtype.GetString()!, dims, begin, end);
    }

    private static List<Target> Describe(IReadOnlyList<Parameter> parameters, IReadOnlyList<StateTensor> state)
    {
        var targets = new List<Target>(parameters.Count + state.Count);
        var names = new HashSet<string>();
        foreach (var p in parameters)
        {
            if (!names.Add(p.Name)) throw new ArgumentException($"Two tensors are named '{p.Name}'.");
            targets.Add(new Target(p.Name, "F32", p.Shape.ToArray(), 4L * p.Length, p, null));
        }
        foreach (var s in state)
        {
            if (!names.Add(s.Name)) throw new ArgumentException($"Two tensors are named '{s.Name}'.");
            if (s.Kind == StateKind.Int64Counter)
            {
                if (s.Length != 1) throw new ArgumentException($"Counter '{s.Name}' must hold one value, not {s.Length}.");
                targets.Add(new Target(s.Name, "I64", Array.Empty<int>(), 8, null, s));
            }
            else targets.Add(new Target(s.Name, "F32", s.Shape.ToArray(), 4L * s.Length, null, s));
        }
        return targets;
    }

    private static byte[] Header(List<Target> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in entries)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType);
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.ByteLength;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static string ShapeText(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    private static InvalidDataException Bad(string path, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Checkpoint '{path}': {problem}."));
}
