namespace CnnDsl.Integration.Tests;

/// <summary>The in-repo route examples use: generator as an analyzer ProjectReference + the props imported by hand.</summary>
public class ProjectReferenceTests
{
    [Fact]
    public void Consumer_with_project_references_builds_and_runs_its_generated_model()
    {
        string project = Path.Combine(DotNet.RepositoryRoot, "tests", "Integration.Tests", "Consumers", "RefConsumer", "RefConsumer.csproj");
        var (exit, output) = DotNet.Run(Path.GetDirectoryName(project)!, TimeSpan.FromMinutes(4), "run", "--project", project);
        Assert.True(exit == 0, output);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(new[] { "61706", "1x28x28" }, lines.TakeLast(3).Take(2));
        // The summary's first line names the network and its file, relative to the project.
        Assert.Equal("LeNet5 (models/lenet5.cnn)", lines.Last());
    }
}
