namespace CnnDsl.Tests.Shared;

internal static class Repository
{
    /// <summary>The repository root (where CnnDsl.sln is), found from the test assembly's folder.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CnnDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("CnnDsl.sln not found");
    }
}
