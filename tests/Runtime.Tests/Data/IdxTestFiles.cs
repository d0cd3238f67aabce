using System.IO.Compression;

namespace CnnDsl.Runtime.Tests.Data;

/// <summary>Writes small IDX files (plain or gzip) into a temporary directory for tests.</summary>
internal sealed class IdxTestFiles : IDisposable
{
    public IdxTestFiles() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "cnndsl-idx-" + Guid.NewGuid().ToString("N"));

    public static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (int d in dims) ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        ms.Write(payload);
        return ms.ToArray();
    }

    public static byte[] Gzip(byte[] bytes)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return ms.ToArray();
    }

    public string Write(string name, byte[] bytes, string? directory = null)
    {
        string dir = directory ?? Root;
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a complete tiny Fashion-MNIST-shaped set (n images of h×w) with the standard names.</summary>
    public void WriteFashionSet(string directory, int n = 4, int h = 3, int w = 3, bool gzip = true)
    {
        var pixels = new byte[n * h * w];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7);
        var labels = new byte[n];
        for (int i = 0; i < n; i++) labels[i] = (byte)(i % 10);
        foreach (string split in new[] { "train", "t10k" })
        {
            byte[] img = Idx(0x08, [n, h, w], pixels), lab = Idx(0x08, [n], labels);
            Write($"{split}-images-idx3-ubyte" + (gzip ? ".gz" : ""), gzip ? Gzip(img) : img, directory);
            Write($"{split}-labels-idx1-ubyte" + (gzip ? ".gz" : ""), gzip ? Gzip(lab) : lab, directory);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
