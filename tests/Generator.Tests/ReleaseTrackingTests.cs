using CnnDsl.Dsl.Diagnostics;

namespace CnnDsl.Generator.Tests;

public class ReleaseTrackingTests
{
    /// <summary>RS2002 is off (the descriptors are built from the Dsl catalogue), so check the file here.</summary>
    [Fact]
    public void Unshipped_release_lists_every_rule_with_its_severity()
    {
        var rows = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "AnalyzerReleases.Unshipped.md"))
            .Where(l => l.StartsWith("CNN", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
            .ToDictionary(c => c[0], c => c[2]);
        var expected = DiagnosticDescriptors.All.ToDictionary(d => d.Id, d => d.Severity.ToString());
        expected.Add("CNN2050", "Error");
        Assert.Equal(expected.OrderBy(p => p.Key), rows.OrderBy(p => p.Key));
    }
}
