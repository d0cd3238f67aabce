using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace CnnDsl.Benchmarks.Compare;

/// <summary>Facts about the run for the report's header: the CPU and the CnnDsl commit measured.</summary>
public static class RunEnvironment
{
    public static string Cpu()
    {
        string model = "unknown CPU";
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) model = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{model}, {Environment.ProcessorCount} logical CPUs";
    }

    /// <summary>"commit abc1234", with "+ local changes" when tracked files differ from it.</summary>
    public static string GitRevision()
    {
        string? commit = Git("rev-parse --short HEAD");
        if (string.IsNullOrEmpty(commit)) return "commit unknown";
        string? changes = Git("status --porcelain --untracked-files=no");
        return string.IsNullOrEmpty(changes) ? $"commit {commit}" : $"commit {commit} + local changes";
    }

    private static string? Git(string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null) return null;
            string output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
