using System.Collections.Generic;

namespace CnnDsl.Runtime;

/// <summary>
/// The contents of one IDX file (the format of MNIST and Fashion-MNIST): the element type code,
/// the dimensions, and the raw payload in the file's byte order (big-endian for multi-byte types).
/// </summary>
public sealed class IdxFile
{
    internal IdxFile(string path, byte elementType, int[] dimensions, byte[] data)
    {
        Path = path;
        ElementType = elementType;
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>IDX element type code: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.</summary>
    public byte ElementType { get; }

    /// <summary>Dimensions as stored, e.g. [60000, 28, 28] for images or [60000] for labels.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The payload: exactly the product of <see cref="Dimensions"/> elements.</summary>
    public byte[] Data { get; }
}
