using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace CnnDsl.Runtime;

/// <summary>
/// Reads IDX files, gzip-compressed (detected by the magic bytes 1f 8b, not by the extension) or plain.
/// Everything is validated: the magic number (00 00 type dims), the element type, every dimension,
/// and that the payload is exactly the product of the dimensions. A truncated or corrupt file throws
/// <see cref="InvalidDataException"/> whose message names the file and what is wrong.
/// </summary>
public static class IdxReader
{
    public static IdxFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] raw = File.ReadAllBytes(path);
        byte[] bytes = IsGzip(raw) ? Decompress(path, raw) : raw;
        return Parse(path, bytes);
    }

    internal static bool IsGzip(ReadOnlySpan<byte> raw) => raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;

    private static byte[] Decompress(string path, byte[] raw)
    {
        try
        {
            using var input = new MemoryStream(raw, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"IDX file '{path}' starts like gzip (1f 8b) but is not valid gzip data: {e.Message}", e);
        }
    }

    internal static IdxFile Parse(string path, byte[] bytes)
    {
        if (bytes.Length < 4)
            throw Bad(path, $"expected a 4-byte magic number (00 00 type dims) but the file has {Count(bytes.Length)} bytes");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(path, $"bad magic number {bytes[0]:x2} {bytes[1]:x2} {bytes[2]:x2} {bytes[3]:x2}: an IDX file starts with 00 00");

        byte type = bytes[2];
        int elementSize = ElementSize(type);
        if (elementSize == 0)
            throw Bad(path, $"unknown element type 0x{type:x2} (expected 0x08 unsigned byte, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)");

        int rank = bytes[3];
        if (rank == 0)
            throw Bad(path, "the magic number declares 0 dimensions");
        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw Bad(path, $"expected {rank} dimension sizes ({headerLength} header bytes) but the file has {Count(bytes.Length)} bytes");

        var dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            int o = 4 + 4 * i;
            uint d = (uint)(bytes[o] << 24 | bytes[o + 1] << 16 | bytes[o + 2] << 8 | bytes[o + 3]);
            if (d == 0 || d > int.MaxValue)
                throw Bad(path, $"dimension {i} has size {d}, which is not a positive 32-bit size");
            dims[i] = (int)d;
            elements *= d;
            if (elements * elementSize > int.MaxValue)
                throw Bad(path, $"the dimensions [{string.Join(", ", dims[..(i + 1)])}] describe more than 2 GiB of data");
        }

        long expected = elements * elementSize;
        long actual = bytes.Length - headerLength;
        if (actual != expected)
        {
            string what = rank == 1 ? "labels" : rank == 3 ? "pixels" : "data";
            string dimText = string.Join(" x ", dims);
            throw Bad(path, $"expected {Count(expected)} bytes of {what} ({dimText}) but the file has {Count(actual)}"
                + (actual < expected ? " (truncated?)" : " (trailing bytes)"));
        }

        byte[] data = bytes.AsSpan(headerLength).ToArray();
        return new IdxFile(path, type, dims, data);
    }

    private static int ElementSize(byte type) => type switch
    {
        0x08 or 0x09 => 1,
        0x0B => 2,
        0x0C or 0x0D => 4,
        0x0E => 8,
        _ => 0,
    };

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static InvalidDataException Bad(string path, string problem) =>
        new($"IDX file '{path}': {problem}.");
}
