using System.Text.RegularExpressions;

namespace CnnDsl.Integration.Tests;

/// <summary>
/// Packs the solution once per test run into a temporary local feed, with a version of its own
/// (so no consumer can pick up a stale CnnDsl from a packages cache), and makes consumer
/// projects that reference only that package.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    public PackageFeed()
    {
        Root = Path.Combine(Path.GetTempPath(), "cnndsl-it-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        Version = "0.1.0-it." + DateTime.UtcNow.ToString("yyyyMMddHHmmss");

        var (exit, output) = DotNet.Run(DotNet.RepositoryRoot, TimeSpan.FromMinutes(5),
            "pack", "CnnDsl.sln", "-c", "Release", "-o", Feed, "-p:PackageVersion=" + Version);
        if (exit != 0) throw new InvalidOperationException("dotnet pack failed:\n" + output);
        PackOutput = output;
        Package = Path.Combine(Feed, $"CnnDsl.{Version}.nupkg");
        if (!File.Exists(Package))
            throw new InvalidOperationException($"{Package} missing; feed holds {string.Join(", ", Directory.GetFiles(Feed))}\n{output}");
    }

    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public string Package { get; }

    public string PackOutput { get; }

    /// <summary>A console project in its own directory, with NuGet.config = the local feed + the machine's sources.</summary>
    public string CreateConsumer(string name, string program, params (string Path, string Text)[] files)
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        var sources = MachineSources().Select((s, i) => $"    <add key=\"source{i}\" value=\"{s}\" />");
        File.WriteAllText(Path.Combine(dir, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
            {string.Join("\n", sources)}
              </packageSources>
            </configuration>
            """);
        // An isolated packages folder (re-packs are never served from a cache); third-party
        // dependencies come from the machine's packages folder when already there.
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RootNamespace>{name}</RootNamespace>
                <RestorePackagesPath>{Path.Combine(Root, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{GlobalPackagesFolder()}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="CnnDsl" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        foreach (var (path, text) in files) Write(dir, path, text);
        return dir;
    }

    public static void Write(string dir, string path, string text)
    {
        string full = Path.Combine(dir, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static IEnumerable<string> MachineSources()
    {
        var (_, output) = DotNet.Run(DotNet.RepositoryRoot, TimeSpan.FromMinutes(1), "nuget", "list", "source", "--format", "short");
        // Lines look like "E https://api.nuget.org/v3/index.json" (E = enabled).
        return output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("E ", StringComparison.Ordinal))
            .Select(l => l.Substring(2).Trim()).ToList();
    }

    private static string GlobalPackagesFolder()
    {
        var (_, output) = DotNet.Run(DotNet.RepositoryRoot, TimeSpan.FromMinutes(1), "nuget", "locals", "global-packages", "--list");
        var match = Regex.Match(output, @"global-packages:\s*(\S.*)");
        return match.Success ? match.Groups[1].Value.Trim() : "";
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
