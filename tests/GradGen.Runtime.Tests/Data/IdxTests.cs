using GradGen.Data;
using GradGen.Runtime.Tests.IO;

namespace GradGen.Runtime.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gradgen-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte Pixel(int i) => (byte)(i * 7 + 3);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SyntheticFiles_PlainOrGzip_Parse(bool gzip)
    {
        // Misleading names on purpose: compression is detected from the bytes, not the extension.
        string images = Write(gzip ? "images.idx" : "images.gz", IdxFiles.Images(5, 3, 4, Pixel, gzip));
        string labels = Write("labels", IdxFiles.Labels([0, 1, 2, 1, 9], gzip));

        IdxImages read = Idx.ReadImages(images);
        Assert.Equal(5, read.Count);
        Assert.Equal(3, read.Rows);
        Assert.Equal(4, read.Columns);
        Assert.Equal(Enumerable.Range(0, 60).Select(Pixel), read.Pixels);
        Assert.Equal([0, 1, 2, 1, 9], Idx.ReadLabels(labels));
    }

    [Fact]
    public void StreamOverloads_WorkOnNonSeekableGzipStreams()
    {
        var images = new NonSeekableStream(new MemoryStream(IdxFiles.Images(2, 2, 2, Pixel, gzip: true)));
        var labels = new NonSeekableStream(new MemoryStream(IdxFiles.Labels([3, 4], gzip: true)));
        Assert.Equal(Enumerable.Range(0, 8).Select(Pixel), Idx.ReadImages(images, "img").Pixels);
        Assert.Equal([3, 4], Idx.ReadLabels(labels, "lbl"));
    }

    [Fact]
    public void EmptyFilesWithZeroItemsParse()
    {
        Assert.Equal(0, Idx.ReadImages(new MemoryStream(IdxFiles.Images(0, 28, 28, Pixel)), "e").Count);
        Assert.Empty(Idx.ReadLabels(new MemoryStream(IdxFiles.Labels([])), "e"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImages_SayHowMuchWasExpectedAndFound(bool gzip)
    {
        byte[] plain = IdxFiles.Images(5, 3, 4, Pixel)[..^10];
        string path = Write("short-images-idx3-ubyte", gzip ? IdxFiles.Gzip(plain) : plain);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Contains("short-images-idx3-ubyte", ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("expected 60 bytes of pixel data, found 50", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HeaderClaimingAGigabyte_FailsAsTruncatedWithoutReadingForever(bool gzip)
    {
        byte[] plain = IdxFiles.Images(2, 2, 2, Pixel);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(4), 100_000); // 100000 × 100 × 100
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(8), 100);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(12), 100);
        string path = Write("liar", gzip ? IdxFiles.Gzip(plain) : plain);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Contains("liar", ex.Message);
        Assert.Contains("expected 1000000000 bytes of pixel data, found 8", ex.Message);
    }

    [Fact]
    public void TruncatedHeaderAndLabels_Throw()
    {
        string header = Write("tiny-labels", IdxFiles.Labels([1, 2, 3])[..6]);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(header));
        Assert.Contains("tiny-labels", ex.Message);
        Assert.Contains("truncated", ex.Message);

        string body = Write("short-labels", IdxFiles.Labels([1, 2, 3])[..^1]);
        ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(body));
        Assert.Contains("short-labels", ex.Message);
        Assert.Contains("expected 3 bytes of label data, found 2", ex.Message);
    }

    [Fact]
    public void TrailingBytes_Throw()
    {
        string path = Write("long-labels", [.. IdxFiles.Labels([1, 2, 3]), 0, 0]);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(path));
        Assert.Contains("long-labels", ex.Message);
        Assert.Contains("2 trailing bytes", ex.Message);
    }

    [Fact]
    public void WrongMagic_SaysWhatWasFoundAndWhatWasExpected()
    {
        string labels = Write("swapped.gz", IdxFiles.Labels([1, 2], gzip: true));
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(labels));
        Assert.Contains("swapped.gz", ex.Message);
        Assert.Contains("magic", ex.Message);
        Assert.Contains("found 0x00000801", ex.Message);
        Assert.Contains("expected 0x00000803", ex.Message);

        string images = Write("images-as-labels", IdxFiles.Images(1, 2, 2, Pixel));
        ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(images));
        Assert.Contains("images-as-labels", ex.Message);
        Assert.Contains("found 0x00000803", ex.Message);
        Assert.Contains("expected 0x00000801", ex.Message);

        string text = Write("notes.txt", "hello, world, this is not IDX"u8.ToArray());
        ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(text));
        Assert.Contains("notes.txt", ex.Message);
        Assert.Contains("not an IDX file", ex.Message);
    }

    [Fact]
    public void CorruptGzip_Throws()
    {
        byte[] gz = IdxFiles.Images(50, 28, 28, Pixel, gzip: true);
        for (int i = 12; i < gz.Length - 12; i += 3) gz[i] ^= 0x5A; // scramble the deflate stream, keep gzip's header
        string path = Write("corrupt-images.gz", gz);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Contains("corrupt-images.gz", ex.Message);
        Assert.Contains("gzip", ex.Message);
    }

    [Fact]
    public void GzipWithBadChecksum_Throws()
    {
        byte[] gz = IdxFiles.Labels([1, 2, 3, 4], gzip: true);
        gz[^8] ^= 0xFF; // the CRC-32 of the trailer
        string path = Write("bad-crc.gz", gz);
        var ex = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(path));
        Assert.Contains("bad-crc.gz", ex.Message);
        Assert.Contains("gzip", ex.Message);
    }

    [Fact]
    public void CountMismatchBetweenImagesAndLabels_NamesBothFiles()
    {
        string images = Write("five-images", IdxFiles.Images(5, 2, 2, Pixel));
        string labels = Write("four-labels", IdxFiles.Labels([0, 1, 2, 3]));
        var ex = Assert.Throws<IdxFormatException>(() => DataSet.FromIdx(images, labels));
        Assert.Contains("five-images", ex.Message);
        Assert.Contains("four-labels", ex.Message);
        Assert.Contains("count mismatch", ex.Message);
        Assert.Contains("5 images but 4 labels", ex.Message);
    }

    [Fact]
    public void ShippedFashionMnistTestSplit_Has10000ImagesOf28x28And1000PerClass()
    {
        string dir = IdxFiles.ShippedFashionMnistDirectory();
        IdxImages images = Idx.ReadImages(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"));
        byte[] labels = Idx.ReadLabels(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));

        Assert.Equal(10000, images.Count);
        Assert.Equal(28, images.Rows);
        Assert.Equal(28, images.Columns);
        Assert.Equal(10000 * 784, images.Pixels.Length);
        Assert.Equal(10000, labels.Length);
        int[] perClass = new int[256];
        foreach (byte label in labels) perClass[label]++;
        Assert.Equal(Enumerable.Repeat(1000, 10), perClass[..10]);
        Assert.Equal(0, perClass[10..].Sum());
        Assert.Contains(images.Pixels, p => p == 255);
        Assert.Contains(images.Pixels, p => p == 0);
    }
}
