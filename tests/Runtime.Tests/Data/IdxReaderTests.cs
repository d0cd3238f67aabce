namespace CnnDsl.Runtime.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_plain_and_gzip_files_identically(bool gzip)
    {
        using var files = new IdxTestFiles();
        byte[] payload = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        byte[] idx = IdxTestFiles.Idx(0x08, [2, 3, 4], payload);
        // Compression is detected from the magic bytes, not the name: the gzip file is deliberately named without .gz.
        string path = files.Write("images", gzip ? IdxTestFiles.Gzip(idx) : idx);

        var file = IdxReader.Read(path);

        Assert.Equal(0x08, file.ElementType);
        Assert.Equal(new[] { 2, 3, 4 }, file.Dimensions);
        Assert.Equal(payload, file.Data);
    }

    [Fact]
    public void Truncated_payload_names_the_file_and_both_sizes()
    {
        using var files = new IdxTestFiles();
        byte[] idx = IdxTestFiles.Idx(0x08, [60000, 28, 28], new byte[1024]);
        string path = files.Write("train-images-idx3-ubyte.gz", IdxTestFiles.Gzip(idx));

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("expected 47,040,000 bytes of pixels", ex.Message);
        Assert.Contains("the file has 1,024", ex.Message);
    }

    [Fact]
    public void A_gzip_file_cut_short_is_rejected_naming_the_file()
    {
        using var files = new IdxTestFiles();
        var random = new Random(1);
        var payload = new byte[60_000];
        random.NextBytes(payload);
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Idx(0x08, [60, 1000], payload));
        string path = files.Write("train-images-idx3-ubyte.gz", gz[..(gz.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        using var files = new IdxTestFiles();
        string path = files.Write("labels", IdxTestFiles.Idx(0x08, [3], new byte[4]));
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("expected 3 bytes of labels", ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 8, 1, 0, 0, 0, 1, 5 }, "bad magic number")]
    [InlineData(new byte[] { 0, 0, 0x42, 1, 0, 0, 0, 1, 5 }, "unknown element type 0x42")]
    [InlineData(new byte[] { 0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 1 }, "dimension 0 has size 0")]
    [InlineData(new byte[] { 0, 0, 8, 3, 0, 0, 0, 1 }, "expected 3 dimension sizes")]
    [InlineData(new byte[] { 0, 0 }, "4-byte magic number")]
    public void Corrupt_headers_are_rejected_with_the_problem(byte[] bytes, string problem)
    {
        using var files = new IdxTestFiles();
        string path = files.Write("bad.idx", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(problem, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        using var files = new IdxTestFiles();
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.Idx(0x08, [100], new byte[100]));
        for (int i = 10; i < gz.Length - 8; i++) gz[i] ^= 0x5a;
        string path = files.Write("labels.gz", gz);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, ex.Message);
    }
}
