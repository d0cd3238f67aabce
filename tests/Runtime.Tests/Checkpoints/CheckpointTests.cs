using System.Collections;
using System.Text;

namespace CnnDsl.Runtime.Tests.Checkpoints;

public class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnndsl-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny conv+batchnorm "model": two parameters in one arena, batchnorm running stats and a counter.</summary>
    private sealed class Tiny
    {
        public readonly float[] Values = new float[2 * 1 * 3 * 3 + 2], Grads = new float[20], StateArena = new float[5];
        public readonly List<Parameter> Parameters;
        public readonly List<StateTensor> State;

        public Tiny(float seed, int kernel = 3)
        {
            Parameters = [new Parameter("conv1.weight", [2, 1, kernel, kernel], Values, Grads, 0), new Parameter("conv1.bias", [2], Values, Grads, 18)];
            State = [new StateTensor("bn1.running_mean", [2], StateArena, 0), new StateTensor("bn1.running_var", [2], StateArena, 2),
                     new StateTensor("bn1.num_batches_tracked", [], StateArena, 4, StateKind.Int64Counter)];
            for (int i = 0; i < Values.Length; i++) Values[i] = seed + i * 0.25f;
            for (int i = 0; i < 4; i++) StateArena[i] = seed * 2 + i;
            StateArena[4] = 1234;
        }

        public float[] Snapshot() => Values.Concat(StateArena).ToArray();
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Round_trip_restores_values_and_metadata()
    {
        var a = new Tiny(1f);
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, a.Parameters, a.State, new Dictionary<string, string> { ["epoch"] = "3" });

        var b = new Tiny(-7f);
        var metadata = Checkpoint.Load(path, b.Parameters, b.State);

        Assert.Equal(a.Snapshot(), b.Snapshot());
        Assert.Equal("3", metadata["epoch"]);
    }

    [Fact]
    public void An_independent_reader_sees_pytorch_names_dtypes_shapes_and_exact_bytes()
    {
        var a = new Tiny(0.5f);
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, a.Parameters, a.State, new Dictionary<string, string> { ["network"] = "Tiny" });

        var (tensors, metadata, headerLength) = MinimalSafetensorsReader.Read(path);

        Assert.Equal(0, headerLength % 8);
        Assert.Equal("Tiny", metadata["network"]);
        Assert.Equal(new[] { "bn1.num_batches_tracked", "bn1.running_mean", "bn1.running_var", "conv1.bias", "conv1.weight" }, tensors.Keys.Order());
        Assert.Equal("F32", tensors["conv1.weight"].DType);
        Assert.Equal(new long[] { 2, 1, 3, 3 }, tensors["conv1.weight"].Shape);
        Assert.Equal(a.Values[..18], MinimalSafetensorsReader.Floats(tensors["conv1.weight"].Bytes));
        Assert.Equal(a.Values[18..], MinimalSafetensorsReader.Floats(tensors["conv1.bias"].Bytes));
        Assert.Equal(a.StateArena[2..4], MinimalSafetensorsReader.Floats(tensors["bn1.running_var"].Bytes));
        var counter = tensors["bn1.num_batches_tracked"];
        Assert.Equal("I64", counter.DType);
        Assert.Empty(counter.Shape);
        Assert.Equal(BitConverter.GetBytes(1234L), counter.Bytes);
    }

    /// <summary>A parameter list that can be read once (for the header) but throws when the data is written.</summary>
    private sealed class FailsOnSecondPass(List<Parameter> inner) : IReadOnlyList<Parameter>
    {
        private int _reads;
        public Parameter this[int index] => ++_reads > inner.Count ? throw new IOException("disk full (simulated)") : inner[index];
        public int Count => inner.Count;
        public IEnumerator<Parameter> GetEnumerator() { foreach (var p in inner) { _reads++; yield return p; } }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void A_save_that_fails_midway_leaves_the_old_file_intact_and_no_temp_file()
    {
        var a = new Tiny(1f);
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, a.Parameters, a.State);
        byte[] before = File.ReadAllBytes(path);

        var b = new Tiny(9f);
        Assert.Throws<IOException>(() => Checkpoint.Save(path, new FailsOnSecondPass(b.Parameters), b.State));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_save_into_a_missing_directory_fails_without_creating_anything()
    {
        var a = new Tiny(1f);
        Assert.ThrowsAny<IOException>(() => Checkpoint.Save(PathOf("no/such/dir/m.safetensors"), a.Parameters, a.State));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    private string SavedFile()
    {
        var a = new Tiny(1f);
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, a.Parameters, a.State);
        return path;
    }

    private static void AssertRejected(string path, Tiny target, params string[] fragments)
    {
        var before = target.Snapshot();
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, target.Parameters, target.State));
        Assert.Contains(path, ex.Message);
        foreach (var f in fragments) Assert.Contains(f, ex.Message);
        Assert.Equal(before, target.Snapshot()); // nothing was written into the model
    }

    [Fact]
    public void Truncated_file_is_rejected_and_the_model_is_unchanged()
    {
        string path = SavedFile();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        AssertRejected(path, new Tiny(5f), "data section");
        File.WriteAllBytes(path, bytes[..40]);
        AssertRejected(path, new Tiny(5f), "header length");
        File.WriteAllBytes(path, bytes[..5]);
        AssertRejected(path, new Tiny(5f), "too short");
    }

    [Fact]
    public void Corrupted_header_is_rejected()
    {
        string path = SavedFile();
        byte[] bytes = File.ReadAllBytes(path);
        bytes[8] = (byte)'[';
        bytes[9] = (byte)'x';
        File.WriteAllBytes(path, bytes);
        AssertRejected(path, new Tiny(5f), "not well-formed JSON");
    }

    [Fact]
    public void Wrong_shape_names_the_tensor_and_both_shapes()
    {
        var other = new Tiny(1f, kernel: 2);
        var shrunk = new List<Parameter> { new("conv1.weight", [2, 1, 2, 2], other.Values, other.Grads, 0), other.Parameters[1] };
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, shrunk, other.State);
        AssertRejected(path, new Tiny(5f), "'conv1.weight'", "[2, 1, 2, 2]", "[2, 1, 3, 3]");
    }

    [Fact]
    public void Missing_and_extra_tensors_are_rejected()
    {
        var a = new Tiny(1f);
        string path = PathOf("m.safetensors");
        Checkpoint.Save(path, a.Parameters.Take(1).ToList(), a.State);
        AssertRejected(path, new Tiny(5f), "missing tensor 'conv1.bias'");

        var extra = a.Parameters.Append(new Parameter("fc.weight", [1], new float[1], new float[1], 0)).ToList();
        Checkpoint.Save(path, extra, a.State);
        AssertRejected(path, new Tiny(5f), "unexpected tensor 'fc.weight'");
    }

    [Fact]
    public void Non_contiguous_offsets_and_wrong_dtype_are_rejected()
    {
        string path = SavedFile();
        string text = Encoding.Latin1.GetString(File.ReadAllBytes(path));
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text.Replace("\"I64\"", "\"F64\"")));
        AssertRejected(path, new Tiny(5f), "bn1.num_batches_tracked", "dtype F64");

        // Shifting conv1.bias by 4 bytes keeps its length right but leaves a gap before it and an overlap after it.
        path = SavedFile();
        text = Encoding.Latin1.GetString(File.ReadAllBytes(path));
        int at = text.IndexOf("\"conv1.bias\"", StringComparison.Ordinal);
        int open = text.IndexOf("[72,80]", at, StringComparison.Ordinal);
        Assert.True(open > 0, text[..200]);
        text = text[..open] + "[76,84]" + text[(open + 7)..];
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
        AssertRejected(path, new Tiny(5f), "not contiguous");
    }
}
