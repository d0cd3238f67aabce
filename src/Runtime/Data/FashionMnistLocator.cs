using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace CnnDsl.Runtime;

/// <summary>
/// Finds the four Fashion-MNIST files the way torchvision users expect, in this order:
/// <list type="number">
/// <item>an explicit directory (the <c>--data DIR</c> option) — if given, it must hold the files (also accepted:
/// torchvision's <c>DIR/FashionMNIST/raw</c> layout); it is an error, not a fall-through, when it does not;</item>
/// <item><c>/usr/share/datasets/fashion-mnist</c> (Debian's package <c>dataset-fashion-mnist</c>);</item>
/// <item>the per-user cache: <c>$XDG_CACHE_HOME/cnndsl/fashion-mnist</c>, else <c>~/.cache/cnndsl/fashion-mnist</c>
/// (LocalApplicationData on Windows);</item>
/// <item>otherwise the files are downloaded into the cache from the data set's canonical location, each to a
/// temporary file that is checked against the published MD5 and then renamed into place.</item>
/// </list>
/// Each file may be gzip-compressed (<c>.gz</c>) or plain. Checksums apply to downloads only: Debian's
/// <c>.gz</c> files are recompressed, so their MD5s differ from the published ones.
/// </summary>
public sealed class FashionMnistLocator
{
    /// <summary>Debian's install location.</summary>
    public const string SystemDirectoryDefault = "/usr/share/datasets/fashion-mnist";

    /// <summary>The four files and their published MD5s (of the .gz files).</summary>
    public static IReadOnlyList<(string FileName, string Md5)> Files { get; } = new[]
    {
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83fd310"),
    };

    private readonly IDownloadSource? _source;

    /// <param name="downloadSource">Where to download missing files from; null means the canonical HTTP location.
    /// Pass a fake to keep tests off the network.</param>
    /// <param name="systemDirectory">Overrides <see cref="SystemDirectoryDefault"/> (tests).</param>
    /// <param name="cacheDirectory">Overrides the per-user cache directory (tests).</param>
    /// <param name="allowDownload">False to fail instead of downloading.</param>
    public FashionMnistLocator(IDownloadSource? downloadSource = null, string? systemDirectory = null,
                               string? cacheDirectory = null, bool allowDownload = true)
    {
        _source = allowDownload ? downloadSource ?? new HttpDownloadSource(HttpDownloadSource.FashionMnistCanonical) : null;
        SystemDirectory = systemDirectory ?? SystemDirectoryDefault;
        CacheDirectory = cacheDirectory ?? DefaultCacheDirectory();
    }

    public string SystemDirectory { get; }
    public string CacheDirectory { get; }

    public static string DefaultCacheDirectory()
    {
        string? root;
        if (OperatingSystem.IsWindows())
            root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        else
        {
            root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(root) || !Path.IsPathRooted(root))
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(root, "cnndsl", "fashion-mnist");
    }

    /// <summary>Returns a directory holding all four files, downloading them into the cache if needed.</summary>
    public string Locate(string? explicitDirectory = null)
    {
        if (explicitDirectory is not null)
        {
            foreach (string candidate in new[] { explicitDirectory, Path.Combine(explicitDirectory, "FashionMNIST", "raw") })
                if (HasAll(candidate)) return candidate;
            throw new FileNotFoundException(
                $"The data directory '{explicitDirectory}' (from --data) does not hold Fashion-MNIST: missing "
                + string.Join(", ", Missing(explicitDirectory)) + " (each may also be uncompressed, without .gz).");
        }

        if (HasAll(SystemDirectory)) return SystemDirectory;
        if (HasAll(CacheDirectory)) return CacheDirectory;

        if (_source is null)
            throw NotFound("downloading is disabled");
        Directory.CreateDirectory(CacheDirectory);
        foreach (var (file, md5) in Files)
        {
            if (FindFile(CacheDirectory, file[..^3]) is not null) continue;
            DownloadOne(file, md5);
        }
        return CacheDirectory;
    }

    private void DownloadOne(string file, string md5)
    {
        string target = Path.Combine(CacheDirectory, file);
        string temp = Path.Combine(CacheDirectory, $".{file}.{Guid.NewGuid():N}.part");
        try
        {
            string actual;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                try
                {
                    _source!.Download(file, stream);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw NotFound($"downloading {file} from {_source!.Description} failed: {e.Message}", e);
                }
                stream.Flush(flushToDisk: true);
                stream.Position = 0;
                actual = Convert.ToHexString(MD5.HashData(stream)).ToLowerInvariant();
            }
            if (actual != md5)
                throw new InvalidDataException(
                    $"Downloaded {file} from {_source!.Description} has MD5 {actual} but the published MD5 is {md5}; it was not saved.");
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private FileNotFoundException NotFound(string why, Exception? inner = null) => new(
        $"Fashion-MNIST was not found in {SystemDirectory} or {CacheDirectory}, and {why}. "
        + "Install Debian's package dataset-fashion-mnist (sudo apt install dataset-fashion-mnist), "
        + "or pass --data DIR with a directory holding "
        + string.Join(", ", Files.Select(f => f.FileName)) + ".", inner);

    private static bool HasAll(string directory) => !Missing(directory).Any();

    private static IEnumerable<string> Missing(string directory) =>
        Files.Select(f => f.FileName).Where(f => FindFile(directory, f[..^3]) is null);

    /// <summary>The path of <paramref name="baseName"/><c>.gz</c> or <paramref name="baseName"/> in the directory, or null.</summary>
    internal static string? FindFile(string directory, string baseName)
    {
        string gz = Path.Combine(directory, baseName + ".gz");
        if (File.Exists(gz)) return gz;
        string plain = Path.Combine(directory, baseName);
        return File.Exists(plain) ? plain : null;
    }
}
