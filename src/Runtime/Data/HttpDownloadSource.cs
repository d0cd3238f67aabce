using System;
using System.IO;
using System.Net.Http;

namespace CnnDsl.Runtime;

/// <summary>Downloads files relative to a base URL over HTTP(S).</summary>
public sealed class HttpDownloadSource : IDownloadSource
{
    /// <summary>The canonical location of the Fashion-MNIST files.</summary>
    public static readonly Uri FashionMnistCanonical = new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    private readonly Uri _baseUri;
    private readonly TimeSpan _timeout;

    public HttpDownloadSource(Uri baseUri, TimeSpan? timeout = null)
    {
        _baseUri = baseUri ?? throw new ArgumentNullException(nameof(baseUri));
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
    }

    public string Description => _baseUri.ToString();

    public void Download(string fileName, Stream destination)
    {
        using var client = new HttpClient { Timeout = _timeout };
        using var response = client.GetAsync(new Uri(_baseUri, fileName), HttpCompletionOption.ResponseHeadersRead)
                                   .GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        using var body = response.Content.ReadAsStream();
        body.CopyTo(destination);
    }
}
