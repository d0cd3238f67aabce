namespace CnnDsl.Runtime.Tests.Checkpoints;

public class TrainingCheckpointTests
{
    private static Parameter NewParameter(float start)
    {
        var v = new float[11];
        for (int i = 0; i < v.Length; i++) v[i] = start + i;
        return new Parameter("fc.weight", [11], v, new float[11], 0);
    }

    private static void StepWith(IOptimizer o, Parameter p, float g)
    {
        p.Gradient.Fill(g);
        o.Step(new[] { p });
    }

    [Fact]
    public void Resuming_from_a_saved_model_and_optimizer_continues_exactly()
    {
        var dir = Directory.CreateTempSubdirectory("cnndsl-resume-").FullName;
        try
        {
            string path = Path.Combine(dir, "run.safetensors");
            var p = NewParameter(1);
            var adam = new AdamW(0.05f);
            StepWith(adam, p, 0.3f);
            StepWith(adam, p, -0.1f);
            adam.LearningRate = 0.02f;
            TrainingCheckpoint.Save(path, new[] { p }, Array.Empty<StateTensor>(), adam, epochsCompleted: 2,
                                    new Dictionary<string, string> { ["network"] = "Tiny" });
            Assert.True(File.Exists(Path.Combine(dir, "run.optim.safetensors")));

            var q = NewParameter(-5);
            var resumed = new AdamW(0.05f);
            var (epochs, metadata) = TrainingCheckpoint.Load(path, new[] { q }, Array.Empty<StateTensor>(), resumed);

            Assert.Equal(2, epochs);
            Assert.Equal("Tiny", metadata["network"]);
            Assert.Equal(2, resumed.StepCount);
            Assert.Equal(0.02f, resumed.LearningRate);
            StepWith(adam, p, 0.7f);
            StepWith(resumed, q, 0.7f);
            Assert.Equal(p.Value.ToArray(), q.Value.ToArray());

            // The wrong algorithm is refused before anything changes.
            var r = NewParameter(-5);
            var ex = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.Load(path, new[] { r }, Array.Empty<StateTensor>(), new Sgd(0.1f, momentum: 0.9f)));
            Assert.Contains("run.optim.safetensors", ex.Message);
            Assert.Equal(-5f, r.Value[0]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
