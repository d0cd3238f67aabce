using System.Linq;
using System.Text;
using CnnDsl.Dsl.Model;
using CnnDsl.Generator.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace CnnDsl.Generator.Emit;

/// <summary>Where a network's class lives and what its files are called; one home for all emitters.</summary>
internal static class Names
{
    /// <summary>The <c>in</c> clause, else the project's RootNamespace, else null (the global namespace).</summary>
    public static string? Namespace(NetworkModel network, GeneratorSettings settings) =>
        !string.IsNullOrWhiteSpace(network.Namespace) ? network.Namespace!.Trim() : settings.RootNamespace;

    public static string FullName(NetworkModel network, GeneratorSettings settings)
    {
        var ns = Namespace(network, settings);
        return ns is null ? network.Name : ns + "." + network.Name;
    }

    /// <summary>A name as C# source: keywords escaped with '@' (per dotted part for namespaces).</summary>
    public static string Identifier(string name) =>
        string.Join(".", name.Split('.').Select(part =>
            SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(part) == SyntaxKind.UnderscoreToken
                ? "@" + part
                : part));

    /// <summary>
    /// The hint-name stem: the .cnn file's name and the full class name, reduced to
    /// [A-Za-z0-9_.] (hint names must be valid file names and unique per generator).
    /// </summary>
    public static string HintBase(string sourcePath, string fullName)
    {
        string file = sourcePath;
        int slash = file.LastIndexOfAny(new[] { '/', '\\' });
        if (slash >= 0) file = file.Substring(slash + 1);
        if (file.EndsWith(".cnn", System.StringComparison.OrdinalIgnoreCase)) file = file.Substring(0, file.Length - 4);
        return Sanitize(file) + "." + Sanitize(fullName);
    }

    private static string Sanitize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            sb.Append(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '.' ? c : '_');
        string result = sb.ToString().Trim('.');
        return result.Length == 0 ? "_" : result;
    }
}
