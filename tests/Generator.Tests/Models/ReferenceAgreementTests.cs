using System.Text.Json;
using CnnDsl.Runtime;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>
/// Generated models against PyTorch: inputs, weights, outputs and gradients written by
/// tests/References/make_references.py (PyTorch 1.13, float64 cast to float32). Needs no PyTorch.
/// </summary>
public class ReferenceAgreementTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(GeneratedModels.RepositoryRoot(), "tests", "References"), "*.cnn").OrderBy(f => f))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_backward_and_loss_match_PyTorch(string name)
    {
        string folder = Path.Combine(GeneratedModels.RepositoryRoot(), "tests", "References");
        var reference = ReadSafetensors(Path.Combine(folder, name + ".safetensors"));
        var failures = GeneratedModels.WithModel(File.ReadAllText(Path.Combine(folder, name + ".cnn")), model => Compare(model, reference));
        Assert.True(failures.Count == 0, name + ": " + string.Join("; ", failures));
    }

    private static List<string> Compare(IModel model, Dictionary<string, float[]> r)
    {
        var failures = new List<string>();
        void Check(string what, ReadOnlySpan<float> actual, float[] expected)
        {
            double error = RelativeError(actual, expected);
            if (!(error < Tolerance)) failures.Add($"{what}: relative error {error:E2}");
        }
        void Reset()
        {
            foreach (var p in model.Parameters) r["param." + p.Name].CopyTo(p.Value);
            foreach (var s in model.State)
                if (r.TryGetValue("state." + s.Name, out var v)) v.CopyTo(s.Value);
        }
        Assert.All(model.Parameters, p => Assert.True(r.ContainsKey("param." + p.Name), "reference lacks " + p.Name));

        var input = r["input"];
        int batch = input.Length / model.InputSize;
        var output = new float[batch * model.OutputSize];
        Reset();
        model.Forward(input, output, batch);
        Check("inference output", output, r["output_eval"]);

        Reset();
        model.ForwardTraining(input, output, batch);
        Check("training output", output, r["output"]);
        model.Backward(r["grad_output"]);
        Check("input gradient", model.InputGradient, r["grad_input"]);
        foreach (var p in model.Parameters) Check("gradient of " + p.Name, p.Gradient, r["grad." + p.Name]);
        foreach (var s in model.State)
            if (r.TryGetValue("state_after." + s.Name, out var after)) Check(s.Name + " after one step", s.Value, after);

        if (r.TryGetValue("labels", out var labels))
        {
            Reset();
            float loss = model.TrainStep(input, labels.Select(l => (int)l).ToArray(), batch, new Sgd(learningRate: 0f));
            Check("loss", new[] { loss }, r["loss"]);
        }
        return failures;
    }

    private static double RelativeError(ReadOnlySpan<float> actual, float[] expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = actual[i] - (double)expected[i];
            difference += d * d;
            norm += expected[i] * (double)expected[i];
        }
        return Math.Sqrt(difference / Math.Max(norm, 1e-30));
    }

    private static Dictionary<string, float[]> ReadSafetensors(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var tensors = new Dictionary<string, float[]>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            var offsets = entry.Value.GetProperty("data_offsets");
            long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
            var values = new float[(end - begin) / 4];
            Buffer.BlockCopy(bytes, (int)(8 + headerLength + begin), values, 0, (int)(end - begin));
            tensors[entry.Name] = values;
        }
        return tensors;
    }
}
