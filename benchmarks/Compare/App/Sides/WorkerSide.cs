using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>
/// A peer framework in a worker process of its own (torch_peer.py, TorchSharpPeer), which keeps its
/// models between rounds so the sides can take turns. Protocol (torch_peer.py's docstring): one JSON
/// line describing the worker, then one JSON reply line per "measure NETWORK MODE BATCH WARMUP MIN" line.
/// </summary>
public sealed class WorkerSide : ISide
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private const int StderrLinesKept = 20;

    private readonly Process? _process;
    private readonly Queue<string> _stderrTail = new();

    private WorkerSide(string name, string unavailable)
    {
        Name = name;
        Description = "not available";
        Unavailable = unavailable;
    }

    private WorkerSide(string name, ProcessStartInfo start, int threads)
    {
        Name = name;
        // OpenMP, OpenBLAS and MKL size their pools from these at load time, before
        // torch.set_num_threads runs; set them all so no library starts more threads than the others.
        foreach (string variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" })
            start.Environment[variable] = threads.ToString(CultureInfo.InvariantCulture);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        try
        {
            _process = Process.Start(start) ?? throw new SideException($"{start.FileName} did not start");
            _process.ErrorDataReceived += (_, e) => KeepStderr(e.Data);
            _process.BeginErrorReadLine();
            var hello = JsonDocument.Parse(ReadReply(StartTimeout)).RootElement;
            Description = $"{hello.GetProperty("version").GetString()}: {hello.GetProperty("details").GetString()}";
        }
        catch (Exception e) when (e is SideException or JsonException or KeyNotFoundException or System.ComponentModel.Win32Exception)
        {
            Description = "not available";
            Unavailable = e.Message;
            Stop();
        }
    }

    /// <summary>The PyTorch worker, or a side that says why it is not available.</summary>
    public static WorkerSide PyTorch(string python, string script, int threads, int seed)
    {
        const string name = "PyTorch";
        if (!File.Exists(python)) return new WorkerSide(name, $"{python} not found");
        if (!File.Exists(script)) return new WorkerSide(name, $"{script} not found");
        return new WorkerSide(name, StartInfo(python, script, threads, seed), threads);
    }

    /// <summary>The TorchSharp worker, or a side that says why it is not available.</summary>
    public static WorkerSide TorchSharp(string dll, int threads, int seed)
    {
        const string name = "TorchSharp";
        if (!File.Exists(dll)) return new WorkerSide(name, $"{dll} not found (did TorchSharpPeer build?)");
        return new WorkerSide(name, StartInfo("dotnet", dll, threads, seed), threads);
    }

    private static ProcessStartInfo StartInfo(string program, string target, int threads, int seed) =>
        new(program, new[] { target, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--seed", seed.ToString(CultureInfo.InvariantCulture) });

    public string Name { get; }
    public string Description { get; }
    public string? Unavailable { get; private set; }

    public Measurement Measure(Workload workload, TimingPlan plan)
    {
        if (Unavailable is not null) throw new SideException(Unavailable);
        string request = string.Create(CultureInfo.InvariantCulture,
            $"measure {workload.Network.Key} {workload.ModeWord} {workload.Batch} {plan.WarmupSeconds} {plan.MinSeconds}");
        JsonElement reply;
        try
        {
            _process!.StandardInput.WriteLine(request);
            _process.StandardInput.Flush();
            // generous: a round is seconds, a first round adds model building and warm-up
            reply = JsonDocument.Parse(ReadReply(TimeSpan.FromSeconds(120 + 10 * (plan.WarmupSeconds + plan.MinSeconds)))).RootElement;
        }
        catch (Exception e) when (e is SideException or IOException or JsonException)
        {
            Unavailable = e.Message;
            Stop();
            throw new SideException(e.Message);
        }
        if (reply.TryGetProperty("error", out var error)) throw new SideException(error.GetString() ?? "error");
        return new Measurement(reply.GetProperty("iterations").GetInt64(), reply.GetProperty("seconds").GetDouble(), reply.GetProperty("parameters").GetInt64());
    }

    private string ReadReply(TimeSpan timeout)
    {
        Task<string?> read = _process!.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout)) throw new SideException($"no answer in {timeout.TotalSeconds:0} s");
        return read.Result ?? throw new SideException($"the worker exited{StderrSummary()}");
    }

    private void KeepStderr(string? line)
    {
        if (line is null) return;
        Console.Error.WriteLine($"[{Name}] {line}");
        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line);
            if (_stderrTail.Count > StderrLinesKept) _stderrTail.Dequeue();
        }
    }

    private string StderrSummary()
    {
        _process?.WaitForExit(1000); // let the last stderr lines arrive
        lock (_stderrTail)
        {
            // the last line of a Python traceback or a .NET crash usually says what went wrong
            foreach (string line in _stderrTail.Reverse())
                if (!string.IsNullOrWhiteSpace(line)) return $": {line.Trim()}";
        }
        return "";
    }

    private void Stop()
    {
        if (_process is null || _process.HasExited) return;
        try { _process.StandardInput.Close(); } catch (IOException) { }
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }
}
