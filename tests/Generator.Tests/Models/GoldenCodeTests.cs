using Microsoft.CodeAnalysis;

using CnnDsl.Tests.Shared;

namespace CnnDsl.Generator.Tests.Models;

/// <summary>
/// The generated code of two networks, checked into tests/Generator.Tests/Golden. A change to the
/// emitters shows up as a diff to review: on mismatch the test writes NAME.received.txt beside the
/// golden file; run with CNNDSL_ACCEPT_GOLDEN=1 to accept (overwrite) the golden files.
/// </summary>
public class GoldenCodeTests
{
    [Theory]
    [InlineData("lenet5", "examples/Zoo/models/lenet5.cnn")]
    [InlineData("residual_bn_shortcut", "tests/References/residual_bn_shortcut.cnn")]
    public void Generated_code_matches_the_golden_file(string name, string source)
    {
        string root = GeneratedModels.RepositoryRoot();
        string text = File.ReadAllText(Path.Combine(root, source)).Replace("\r\n", "\n");
        var run = Harness.Generate(new AdditionalText[] { new CnnText("/p/" + Path.GetFileName(source), text) }, projectDir: "/p/");
        run.AssertNoCrash();
        string actual = string.Join("\n", run.Sources.OrderBy(s => s.HintName, StringComparer.Ordinal)
            .Select(s => "// ===== " + s.HintName + " =====\n" + s.SourceText.ToString().Replace("\r\n", "\n")));

        string golden = Path.Combine(root, "tests", "Generator.Tests", "Golden", name + ".txt");
        string received = Path.ChangeExtension(golden, ".received.txt");
        if (Environment.GetEnvironmentVariable("CNNDSL_ACCEPT_GOLDEN") == "1")
        {
            File.WriteAllText(golden, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        string expected = File.Exists(golden) ? File.ReadAllText(golden).Replace("\r\n", "\n") : "";
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"Generated code for {name} differs from {golden}; see {received} (diff them) and accept with CNNDSL_ACCEPT_GOLDEN=1 if the change is intended.");
        }
        if (File.Exists(received)) File.Delete(received);
    }
}
