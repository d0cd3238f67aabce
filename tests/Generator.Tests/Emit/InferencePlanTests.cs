using System;
using System.IO;
using System.Linq;
using CnnDsl.Dsl;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Emit;
using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests.Emit;

/// <summary>The liveness-planned inference arena: no slot is overwritten while a later layer still
/// reads it, and it is smaller than the training arena that keeps every output.</summary>
public class InferencePlanTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        string root = Repository.Root();
        foreach (string file in Directory.GetFiles(Path.Combine(root, "examples"), "*.cnn", SearchOption.AllDirectories)
                     .Concat(Directory.GetFiles(Path.Combine(root, "tests", "References"), "*.cnn"))
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
                     .OrderBy(f => f))
            data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void No_tensor_is_overwritten_before_its_last_reader_runs(string model)
    {
        string path = Path.Combine(Repository.Root(), model);
        foreach (var network in CnnCompiler.Compile(path, File.ReadAllText(path)).Networks)
        {
            var layout = new ComputeLayout(network, fuseActivations: true);
            var plan = new InferencePlan(layout);
            var layers = network.Layers;
            // each written tensor: its slot, the layer that writes it, the last layer that reads it
            // (a conv writes its fused relu's or pooling's tensor)
            int Tensor(int producer) => layout.WrittenTensor(producer);
            int LastRead(int tensor)
            {
                if (tensor == Tensor(layout.OutputIndex)) return int.MaxValue;
                int last = -1;
                for (int i = 0; i < layers.Count; i++)
                    if (layout.FusedInto[i] < 0 && layers[i].Inputs.Any(p => Tensor(p) == tensor)) last = i;
                return last;
            }
            var tensors = new[] { (Tensor: -1, Written: -1) }
                .Concat(Enumerable.Range(0, layers.Count).Where(i => layout.FusedInto[i] < 0).Select(i => (Tensor: Tensor(i), Written: i)))
                .ToList();
            foreach (var a in tensors)
            {
                int aStart = plan.OffsetOf(a.Tensor), aEnd = aStart + layout.SizeOf(a.Tensor);
                Assert.True(aEnd <= plan.Elements, $"{network.Name}: tensor {a.Tensor} ends at {aEnd}, past the arena's {plan.Elements}");
                foreach (var b in tensors.Where(b => b.Written > a.Written))
                {
                    // b is written while a is still to be read (a's last reader runs at or after b's writer)
                    if (LastRead(a.Tensor) < b.Written) continue;
                    int bStart = plan.OffsetOf(b.Tensor), bEnd = bStart + layout.SizeOf(b.Tensor);
                    Assert.True(bEnd <= aStart || aEnd <= bStart,
                        $"{network.Name}: tensor {b.Tensor} [{bStart}, {bEnd}) written by layer {b.Written} overlaps tensor {a.Tensor} [{aStart}, {aEnd}), read until layer {LastRead(a.Tensor)}");
                }
            }
            Assert.True(plan.Elements <= layout.ActivationElements, $"{network.Name}: inference arena {plan.Elements} > training arena {layout.ActivationElements}");
            // the summary's training memory is what the generated model allocates
            Assert.Equal(network.TrainingActivationElements, layout.ActivationElements);
        }
    }

    [Fact]
    public void A_chain_needs_only_neighbouring_tensors()
    {
        string path = Path.Combine(Repository.Root(), "examples", "Zoo", "models", "vgg16.cnn");
        var network = CnnCompiler.Compile(path, File.ReadAllText(path)).Networks.Single();
        var layout = new ComputeLayout(network, fuseActivations: true);
        var plan = new InferencePlan(layout);
        // VGG-16: every tensor is read only by the next layer, so two neighbours are all that is alive;
        // first fit may leave a gap (it measured 2 % over the largest pair)
        long largestPair = 0;
        var sizes = new[] { (long)layout.InputElements }.Concat(network.Layers.Select(l => l.OutputShape.ElementCount)).ToArray();
        for (int i = 1; i < sizes.Length; i++) largestPair = Math.Max(largestPair, sizes[i - 1] + sizes[i]);
        Assert.True(plan.Elements <= 1.1 * largestPair, $"inference arena {plan.Elements:N0}, largest neighbouring pair {largestPair:N0}");
        Assert.True(plan.Elements * 2 < layout.ActivationElements, $"inference {plan.Elements:N0} vs training {layout.ActivationElements:N0}");
    }
}
