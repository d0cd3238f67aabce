using CnnDsl.Runtime;

namespace CnnDsl.Generator.Tests.Models;

public class ModelBehaviourTests
{
    private const string Small = "network Small\ninput 2x6x6\nconv 3x3x4 p1 -> batchnorm -> relu -> maxpool 2\nflatten\ndense 3\n";

    [Fact]
    public void TrainStep_drives_the_loss_on_a_fixed_batch_to_near_zero()
    {
        var (first, last) = GeneratedModels.WithModel(Small, model =>
        {
            var random = new Random(7);
            const int batch = 8;
            var input = Enumerable.Range(0, batch * model.InputSize).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
            var labels = Enumerable.Range(0, batch).Select(i => i % 3).ToArray();
            var optimizer = new Sgd(learningRate: 0.05f, momentum: 0.9f);
            float start = model.TrainStep(input, labels, batch, optimizer);
            float loss = start;
            for (int step = 0; step < 300; step++) loss = model.TrainStep(input, labels, batch, optimizer);
            return (start, loss);
        });
        Assert.True(first > 0.5f, $"initial loss {first}");
        Assert.True(last < 0.01f, $"loss after 300 steps {last} (started at {first})");
    }

    [Fact]
    public void Seeded_training_gives_the_same_bits_on_any_thread_count()
    {
        const string Net = "network Repeat\ninput 3x12x12\nconv 3x3x8 p1 nobias -> batchnorm -> relu -> maxpool 2\nconv 3x3x16 p1 -> relu\nflatten\ndropout 0.25\ndense 5\n";
        var runs = GeneratedModels.WithModel(Net, template =>
        {
            int saved = ComputeThreads.Count;
            try
            {
                return new[] { 1, 2, 3, 2 }.Select(threads =>
                {
                    ComputeThreads.Count = threads;
                    var model = (IModel)Activator.CreateInstance(template.GetType(), 5)!;
                    var random = new Random(3);
                    const int batch = 27;
                    var input = Enumerable.Range(0, batch * model.InputSize).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
                    var labels = Enumerable.Range(0, batch).Select(i => i % 5).ToArray();
                    var optimizer = new Sgd(learningRate: 0.05f, momentum: 0.9f);
                    for (int step = 0; step < 4; step++) model.TrainStep(input, labels, batch, optimizer);
                    return model.Parameters.SelectMany(p => p.Value.ToArray()).ToArray();
                }).ToList();
            }
            finally
            {
                ComputeThreads.Count = saved;
            }
        });
        for (int i = 1; i < runs.Count; i++) Assert.True(runs[0].AsSpan().SequenceEqual(runs[i]), $"run {i} differs from the one-thread run");
    }

    [Fact]
    public void Forward_and_TrainStep_allocate_nothing_after_warm_up()
    {
        long allocated = GeneratedModels.WithModel(Harness.LeNet5, model =>
        {
            const int batch = 16;
            var input = new float[batch * model.InputSize];
            new Random(1).NextBytes(new byte[1]);
            for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;
            var output = new float[batch * model.OutputSize];
            var labels = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
            var optimizer = new Sgd(learningRate: 0.01f, momentum: 0.9f);
            // the first call of each kind sizes the kernels' per-thread scratch (Backward's input gradient
            // needs the most); after that nothing is allocated
            model.Forward(input, output, batch);
            model.TrainStep(input, labels, batch, optimizer);
            model.ForwardTraining(input, output, batch);
            model.Backward(output);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                model.Forward(input, output, batch);
                model.TrainStep(input, labels, batch, optimizer);
                model.ForwardTraining(input, output, batch);
                model.Backward(output);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Inference_at_a_large_batch_does_not_allocate_the_gradient_arena()
    {
        // evaluation often runs at a much larger batch than training: only a training forward may grow
        // the activation-gradient arena (as large as the activation arena itself)
        const int batch = 256;
        long Allocated(bool training) => GeneratedModels.WithModel(Harness.LeNet5, model =>
        {
            var input = new float[batch * model.InputSize];
            var output = new float[batch * model.OutputSize];
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (training) model.ForwardTraining(input, output, batch);
            else model.Forward(input, output, batch);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        long inference = Allocated(training: false), training = Allocated(training: true);
        Assert.True(inference < 0.6 * training, $"inference forward allocated {inference:N0} bytes, training forward {training:N0}");
    }

    [Fact]
    public void Wrong_buffer_sizes_are_rejected_naming_both_sizes_and_write_nothing()
    {
        GeneratedModels.WithModel(Harness.LeNet5, model =>
        {
            var output = Enumerable.Repeat(42f, 2 * 10).ToArray();
            var shortInput = new float[2 * 784 - 1];
            var error = Assert.Throws<ArgumentException>(() => model.Forward(shortInput, output, 2));
            Assert.Contains("1567", error.Message);
            Assert.Contains("1568", error.Message);
            Assert.All(output, v => Assert.Equal(42f, v));

            var wrongOutput = new float[5];
            error = Assert.Throws<ArgumentException>(() => model.Forward(new float[784], wrongOutput, 1));
            Assert.Contains("output has 5 elements", error.Message);
            Assert.Throws<ArgumentException>(() => model.Forward(new float[0], new float[0], 0));

            var weights = model.Parameters[0].Value.ToArray();
            var labelError = Assert.Throws<ArgumentOutOfRangeException>(() =>
                model.TrainStep(new float[2 * 784], new[] { 3, 10 }, 2, new Sgd(learningRate: 0.1f)));
            Assert.Contains("label 10", labelError.Message);
            Assert.Equal(weights, model.Parameters[0].Value.ToArray());
            Assert.Throws<InvalidOperationException>(() => model.Backward(new float[10]));
            return 0;
        });
    }

    [Fact]
    public void Parameters_use_PyTorch_names_and_layouts_and_layers_are_typed_properties()
    {
        GeneratedModels.With(Harness.LeNet5, assembly =>
        {
            var type = assembly.GetType("Consumer.LeNet5")!;
            var model = (IModel)Activator.CreateInstance(type, 0)!;
            Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "dense3.weight", "dense3.bias" },
                model.Parameters.Select(p => p.Name));
            Assert.Equal(new[] { 6, 1, 5, 5 }, model.Parameters[0].Shape);
            Assert.Equal(new[] { 120, 400 }, model.Parameters[4].Shape);
            Assert.Equal(61706, model.Parameters.Sum(p => p.Length));
            var conv1 = (Conv2d)type.GetProperty("Conv1")!.GetValue(model)!;
            Assert.Same(model.Parameters[0], conv1.Weight);
            Assert.Equal("conv 5x5x6 p2", conv1.Definition);
            Assert.IsType<Dense>(type.GetProperty("Dense3")!.GetValue(model));
            // Deterministic initialisation: same seed, same weights; another seed, other weights.
            var again = (IModel)Activator.CreateInstance(type, 0)!;
            var other = (IModel)Activator.CreateInstance(type, 1)!;
            Assert.Equal(model.Parameters[0].Value.ToArray(), again.Parameters[0].Value.ToArray());
            Assert.NotEqual(model.Parameters[0].Value.ToArray(), other.Parameters[0].Value.ToArray());
            return 0;
        });
    }

    [Fact]
    public void Checkpoint_round_trip_restores_outputs()
    {
        string path = Path.Combine(Path.GetTempPath(), "cnndsl-" + Guid.NewGuid() + ".safetensors");
        try
        {
            GeneratedModels.With(Small, assembly =>
            {
                var type = assembly.GetTypes().Single(t => typeof(IModel).IsAssignableFrom(t));
                var trained = (IModel)Activator.CreateInstance(type, 0)!;
                var input = Enumerable.Range(0, 4 * trained.InputSize).Select(i => (float)Math.Sin(i)).ToArray();
                trained.TrainStep(input, new[] { 0, 1, 2, 0 }, 4, new Sgd(learningRate: 0.1f));
                var expected = new float[4 * 3];
                trained.Forward(input, expected, 4);
                trained.Save(path);
                var fresh = (IModel)Activator.CreateInstance(type, 5)!;
                fresh.Load(path);
                var actual = new float[4 * 3];
                fresh.Forward(input, actual, 4);
                Assert.Equal(expected, actual);
                return 0;
            });
        }
        finally
        {
            File.Delete(path);
        }
    }
}
