namespace CnnDsl.Runtime.Tests.Data;

public class FashionMnistLocatorTests
{
    private sealed class UnreachableSource : IDownloadSource
    {
        public int Calls;
        public string Description => "http://unreachable.invalid/";
        public void Download(string fileName, Stream destination)
        {
            Calls++;
            throw new HttpRequestException("Name or service not known (unreachable.invalid:80)");
        }
    }

    private sealed class GarbageSource : IDownloadSource
    {
        public string Description => "fake";
        public void Download(string fileName, Stream destination) => destination.Write([1, 2, 3]);
    }

    [Fact]
    public void Explicit_directory_wins()
    {
        using var files = new IdxTestFiles();
        string explicitDir = Path.Combine(files.Root, "explicit"), system = Path.Combine(files.Root, "system");
        files.WriteFashionSet(explicitDir, gzip: false);
        files.WriteFashionSet(system);
        var locator = new FashionMnistLocator(new UnreachableSource(), system, Path.Combine(files.Root, "cache"));
        Assert.Equal(explicitDir, locator.Locate(explicitDir));
    }

    [Fact]
    public void Torchvision_layout_under_the_explicit_directory_is_accepted()
    {
        using var files = new IdxTestFiles();
        string raw = Path.Combine(files.Root, "FashionMNIST", "raw");
        files.WriteFashionSet(raw);
        var locator = new FashionMnistLocator(new UnreachableSource(), Path.Combine(files.Root, "none"), Path.Combine(files.Root, "cache"));
        Assert.Equal(raw, locator.Locate(files.Root));
    }

    [Fact]
    public void Explicit_directory_without_the_files_is_an_error_naming_what_is_missing()
    {
        using var files = new IdxTestFiles();
        var locator = new FashionMnistLocator(new UnreachableSource(), Path.Combine(files.Root, "none"), Path.Combine(files.Root, "cache"));
        var ex = Assert.Throws<FileNotFoundException>(() => locator.Locate(files.Root));
        Assert.Contains("t10k-labels-idx1-ubyte.gz", ex.Message);
        Assert.Contains(files.Root, ex.Message);
    }

    [Fact]
    public void System_directory_then_cache_are_searched_before_any_download()
    {
        using var files = new IdxTestFiles();
        string system = Path.Combine(files.Root, "system"), cache = Path.Combine(files.Root, "cache");
        var source = new UnreachableSource();
        files.WriteFashionSet(cache);
        Assert.Equal(cache, new FashionMnistLocator(source, system, cache).Locate());
        files.WriteFashionSet(system);
        Assert.Equal(system, new FashionMnistLocator(source, system, cache).Locate());
        Assert.Equal(0, source.Calls);
    }

    [Fact]
    public void Without_network_the_message_names_the_debian_package_and_the_data_option()
    {
        using var files = new IdxTestFiles();
        var source = new UnreachableSource();
        var locator = new FashionMnistLocator(source, Path.Combine(files.Root, "system"), Path.Combine(files.Root, "cache"));

        var ex = Assert.Throws<FileNotFoundException>(() => locator.Locate());

        Assert.Contains("dataset-fashion-mnist", ex.Message);
        Assert.Contains("--data DIR", ex.Message);
        Assert.Contains("unreachable.invalid", ex.Message);
        Assert.Equal(1, source.Calls);
        Assert.Empty(Directory.GetFiles(locator.CacheDirectory)); // no partial download left behind
    }

    [Fact]
    public void A_download_with_the_wrong_md5_is_rejected_and_not_kept()
    {
        using var files = new IdxTestFiles();
        var locator = new FashionMnistLocator(new GarbageSource(), Path.Combine(files.Root, "system"), Path.Combine(files.Root, "cache"));
        var ex = Assert.Throws<InvalidDataException>(() => locator.Locate());
        Assert.Contains("8d4fb7e6c68d591d4c3dfef9ec88bf0d", ex.Message);
        Assert.Empty(Directory.GetFiles(locator.CacheDirectory));
    }

    [Fact]
    public void Loads_a_located_set()
    {
        using var files = new IdxTestFiles();
        files.WriteFashionSet(files.Root, n: 5, h: 2, w: 3);
        var (train, test) = FashionMnist.Load(files.Root, new FashionMnistLocator(new UnreachableSource()));
        Assert.Equal(5, train.Count);
        Assert.Equal(5, test.Count);
        Assert.Equal(6, train.SampleSize);
        Assert.Equal("Ankle boot", train.ClassNames![9]);
    }
}
