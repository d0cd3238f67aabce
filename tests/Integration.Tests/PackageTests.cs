using System.IO.Compression;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CnnDsl.Integration.Tests;

/// <summary>The NuGet route: a project that references only the CnnDsl package.</summary>
public class PackageTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    private const string Bad = "network Bad\ninput 1x5x5\nconv 7x7x16\n";

    private const string LeNet5 = """
        network LeNet5
        input 1x28x28
        conv 5x5x6 p2 -> relu -> maxpool 2
        conv 5x5x16 -> relu -> maxpool 2
        flatten
        dense 120 -> relu
        dense 84 -> relu
        dense 10
        """;

    [Fact]
    public void Solution_packs_one_CnnDsl_package_with_runtime_generator_and_props()
    {
        Assert.Equal(new[] { Path.GetFileName(feed.Package) }, Directory.GetFiles(feed.Feed, "*.nupkg").Select(Path.GetFileName));
        using var zip = ZipFile.OpenRead(feed.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[]
        {
            "lib/net10.0/CnnDsl.Runtime.dll",
            "analyzers/dotnet/cs/CnnDsl.Generator.dll",
            "analyzers/dotnet/cs/CnnDsl.Dsl.dll",
            "analyzers/dotnet/cs/Sprache.dll",
            "build/CnnDsl.props",
            "buildTransitive/CnnDsl.props",
        })
            Assert.Contains(expected, entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generator", StringComparison.Ordinal));

        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        string text = nuspec.ReadToEnd();
        Assert.Contains("<id>CnnDsl</id>", text);
        Assert.DoesNotContain("CnnDsl.Generator", text);
        Assert.DoesNotContain("\"CnnDsl.Dsl\"", text);
    }

    [Fact]
    public void Broken_cnn_fails_the_build_at_its_line_then_the_fixed_model_builds_and_runs()
    {
        string dir = feed.CreateConsumer("PkgConsumer",
            "System.Console.WriteLine(PkgConsumer.LeNet5.ParameterCount);\n",
            ("models/lenet5.cnn", Bad));

        var (exit, output) = DotNet.Run(dir, s_timeout, "build");
        Assert.True(exit != 0, "the build should fail:\n" + output);
        Assert.Matches(@"models[/\\]lenet5\.cnn\(3,1\): error CNN2001", output);

        PackageFeed.Write(dir, "models/lenet5.cnn", LeNet5);
        (exit, output) = DotNet.Run(dir, s_timeout, "build");
        Assert.True(exit == 0, "the build should succeed:\n" + output);

        (exit, output) = DotNet.Run(dir, s_timeout, "run", "--no-build");
        Assert.True(exit == 0, output);
        Assert.Equal("61706", output.Trim());
    }
}
