using System.Diagnostics;
using System.Reflection;
using CnnDsl.Runtime;
using CnnDsl.Runtime.Gpu;

// usage: App check [cuda|cpu]   — every network in models/: GPU vs CPU path (forward, loss, gradients)
//        App bench [cuda|cpu] [steps]  — LeNet-5 train step, batch 64 and 256: median ms, images/s
string mode = args.Length > 0 ? args[0] : "check";
var preference = args.Length > 1 && args[1] == "cpu" ? GpuPreference.CpuAccelerator : GpuPreference.Cuda;
int steps = args.Length > 2 ? int.Parse(args[2]) : 200;

var sw = Stopwatch.StartNew();
using var device = GpuDevice.Open(preference);
Console.WriteLine($"device: {device.Description} (opened in {sw.ElapsedMilliseconds} ms)");

if (mode == "check") return Check(device);
Bench(device, steps);
return 0;

static int Check(GpuDevice device)
{
    int failures = 0;
    foreach (var type in typeof(GpuBench.LeNet5).Assembly.GetTypes().Where(t => typeof(IModel).IsAssignableFrom(t)).OrderBy(t => t.Name))
    {
        const int batch = 8;
        var cpu = (IModel)Activator.CreateInstance(type, 7)!;
        var sw = Stopwatch.StartNew();
        // ToDevice loads and specializes every kernel (a warm-up pass), then uploads the weights
        using var model = (GpuModel)type.GetMethod("ToDevice")!.Invoke((IModel)Activator.CreateInstance(type, 7)!, new object[] { device })!;
        var gpu = model.Network;
        long compileMs = sw.ElapsedMilliseconds;
        gpu.CopyParametersFrom(Flatten(cpu.Parameters.Select(p => (float[])p.Value.ToArray())), Flatten(cpu.State.Select(s => s.Value.ToArray())));
        var rng = new Random(3);
        var x = new float[batch * cpu.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(cpu.OutputSize)).ToArray();
        var yc = new float[batch * cpu.OutputSize];
        var yg = new float[batch * cpu.OutputSize];
        cpu.Forward(x, yc, batch);
        gpu.Forward(x, yg, batch);
        double forward = Rel(yc, yg);
        float lc = cpu.TrainStep(x, labels, batch, new Sgd(0f));
        float lg = gpu.ComputeGradients(x, labels, batch);
        var grads = new float[gpu.Layout.ParameterElements];
        gpu.CopyGradientsTo(grads);
        double grad = 0;
        int offset = 0;
        foreach (var p in cpu.Parameters)
        {
            grad = Math.Max(grad, Rel(p.Gradient, grads.AsSpan(offset, p.Length)));
            offset += p.Length;
        }
        double loss = Math.Abs(lc - lg) / Math.Max(Math.Abs(lc), 1e-6);
        bool ok = forward <= 1e-4 && grad <= 1e-4 && loss <= 1e-4;
        if (!ok) failures++;
        Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {type.Name,-22} forward {forward:E2}  loss {loss:E2}  gradients {grad:E2}  (kernels specialized in {compileMs} ms)");
    }
    Console.WriteLine(failures == 0 ? "all networks agree within 1e-4" : $"{failures} networks disagree");
    return failures == 0 ? 0 : 1;
}

static void Bench(GpuDevice device, int steps)
{
    Bench1(device, steps, "lenet5", () => new GpuBench.LeNet5(0), m => ((GpuBench.LeNet5)m).ToDevice(device));
    Bench1(device, steps, "vggish", () => new GpuBench.VggIsh(0), m => ((GpuBench.VggIsh)m).ToDevice(device));
}

static void Bench1(GpuDevice device, int steps, string name, Func<IModel> create, Func<IModel, GpuModel> toDevice)
{
    foreach (int batch in new[] { 64, 256 })
    {
        var model = create();
        var rng = new Random(1);
        var x = new float[batch * model.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray();
        var sw = Stopwatch.StartNew();
        using var gpu = toDevice(model);
        long setup = sw.ElapsedMilliseconds;
        var optimizer = new Sgd(0.01f, momentum: 0.9f);
        sw.Restart();
        float first = gpu.TrainStep(x, labels, batch, optimizer);
        double firstMs = sw.Elapsed.TotalMilliseconds;
        for (int i = 0; i < 20; i++) gpu.TrainStep(x, labels, batch, optimizer);
        var times = new double[steps];
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        float loss = 0;
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            loss = gpu.TrainStep(x, labels, batch, optimizer);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Array.Sort(times);
        double median = times[steps / 2];
        Console.WriteLine($"cnndsl-gpu {name} batch {batch}: median {median:F3} ms/step (p10 {times[steps / 10]:F3}, p90 {times[steps * 9 / 10]:F3}), "
            + $"{batch / median * 1000:F0} images/s; setup+warm-up {setup} ms, first step {firstMs:F1} ms; {allocated / (double)steps:F0} bytes allocated/step; loss {first:F4} -> {loss:F4} after {steps + 21} steps");

        // as the runtime's Trainer drives it: TrainStep, then LastOutput for the accuracy (one more download)
        IModel asModel = gpu;
        var trainerTimes = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            asModel.TrainStep(x, labels, batch, optimizer);
            _ = Metrics.CountCorrect(asModel.LastOutput, labels, batch, 10);
            trainerTimes[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(trainerTimes);
        Console.WriteLine($"cnndsl-gpu {name} batch {batch} (Trainer-style, + LastOutput download): median {trainerTimes[steps / 2]:F3} ms/step, {batch / trainerTimes[steps / 2] * 1000:F0} images/s");

        // the generated CPU path on the same machine, for scale
        var cpuModel = create();
        var cpuOpt = new Sgd(0.01f, momentum: 0.9f);
        for (int i = 0; i < 3; i++) cpuModel.TrainStep(x, labels, batch, cpuOpt);
        int cpuSteps = Math.Max(5, steps / 10);
        var cpuTimes = new double[cpuSteps];
        for (int i = 0; i < cpuSteps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            cpuModel.TrainStep(x, labels, batch, cpuOpt);
            cpuTimes[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(cpuTimes);
        Console.WriteLine($"cnndsl-cpu {name} batch {batch}: median {cpuTimes[cpuSteps / 2]:F3} ms/step, {batch / cpuTimes[cpuSteps / 2] * 1000:F0} images/s ({Environment.ProcessorCount} cores)");
    }
}

static float[] Flatten(IEnumerable<float[]> parts) => parts.SelectMany(p => p).ToArray();

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
