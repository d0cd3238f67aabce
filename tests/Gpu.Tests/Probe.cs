namespace CnnDsl.Gpu.Tests;

/// <summary>
/// C# compiled together with a generated model: runs the CPU model and its GPU twin on the same weights
/// and batch and reports the largest norm-relative differences (max|a − b| / max|a| per tensor).
/// </summary>
internal static class Probe
{
    public static string Source(string className, int batch, bool training) => $$"""
        using System;
        using CnnDsl.Runtime;
        using CnnDsl.Runtime.Gpu;
        public static class Probe
        {
            static double Rel(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
            {
                double diff = 0, scale = 1e-6;
                for (int i = 0; i < a.Length; i++)
                {
                    if (float.IsNaN(a[i]) != float.IsNaN(b[i])) return double.PositiveInfinity;
                    diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
                    scale = Math.Max(scale, Math.Abs((double)a[i]));
                }
                return diff / scale;
            }

            public static string Run(GpuDevice device)
            {
                const int batch = {{batch}};
                var cpu = new Consumer.{{className}}(7);
                var twin = new Consumer.{{className}}(7);
                var rng = new Random(3);
                var x = new float[batch * cpu.InputSize];
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                var labels = new int[batch];
                int classes = cpu.OutputSize;
                for (int i = 0; i < batch; i++) labels[i] = rng.Next(classes);
                var yc = new float[batch * cpu.OutputSize];
                var yg = new float[batch * cpu.OutputSize];
                var report = new System.Text.StringBuilder();
                using var gpu = twin.ToDevice(device);

                cpu.Forward(x, yc, batch);
                gpu.Forward(x, yg, batch);
                report.Append($"forward {Rel(yc, yg):E2}");
                if (!{{(training ? "true" : "false")}}) return report.ToString();

                // gradients: the CPU step with learning rate 0 leaves the weights and keeps the gradients
                float lc = cpu.TrainStep(x, labels, batch, new Sgd(0f));
                float lg = gpu.ComputeGradients(x, labels, batch);
                report.Append($"; loss {Math.Abs(lc - lg) / Math.Max(Math.Abs(lc), 1e-6):E2}");
                gpu.CopyGradientsTo(twin);
                foreach (var (a, b) in Pairs(cpu, twin)) report.Append($"; d{a.Name} {Rel(a.Gradient, b.Gradient):E2}");

                // two optimizer steps on both, then weights and batchnorm statistics
                var sc = new Sgd(0.05f, momentum: 0.9f, weightDecay: 1e-3f);
                var sg = new Sgd(0.05f, momentum: 0.9f, weightDecay: 1e-3f);
                for (int s = 0; s < 2; s++) { cpu.TrainStep(x, labels, batch, sc); gpu.TrainStep(x, labels, batch, sg); }
                gpu.CopyParametersTo(twin);
                foreach (var (a, b) in Pairs(cpu, twin)) report.Append($"; sgd:{a.Name} {Rel(a.Value, b.Value):E2}");
                var ac = new Adam(1e-2f);
                var ag = new Adam(1e-2f);
                gpu.CopyParametersFrom(cpu);
                cpu.TrainStep(x, labels, batch, ac); gpu.TrainStep(x, labels, batch, ag);
                cpu.TrainStep(x, labels, batch, ac); gpu.TrainStep(x, labels, batch, ag);
                gpu.CopyParametersTo(twin);
                foreach (var (a, b) in Pairs(cpu, twin)) report.Append($"; adam:{a.Name} {Rel(a.Value, b.Value):E2}");
                for (int i = 0; i < cpu.State.Count; i++)
                    if (!cpu.State[i].Name.EndsWith("num_batches_tracked")) report.Append($"; {cpu.State[i].Name} {Rel(cpu.State[i].Value, twin.State[i].Value):E2}");
                cpu.Forward(x, yc, batch);
                gpu.Forward(x, yg, batch);
                report.Append($"; forward-after-training {Rel(yc, yg):E2}");
                return report.ToString();
            }

            static System.Collections.Generic.IEnumerable<(Parameter, Parameter)> Pairs(IModel a, IModel b)
            {
                for (int i = 0; i < a.Parameters.Count; i++) yield return (a.Parameters[i], b.Parameters[i]);
            }
        }
        """;
}
