using System.IO;

namespace CnnDsl.Runtime;

/// <summary>
/// Where missing data set files come from. Injected into <see cref="FashionMnistLocator"/> so tests
/// (and offline machines) never touch the network.
/// </summary>
public interface IDownloadSource
{
    /// <summary>A human-readable location for messages, e.g. the base URL.</summary>
    string Description { get; }

    /// <summary>Copies the file named <paramref name="fileName"/> into <paramref name="destination"/>.
    /// Throws (any exception) when it cannot be fetched.</summary>
    void Download(string fileName, Stream destination);
}
