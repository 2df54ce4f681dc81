using System.Buffers.Binary;
using System.IO.Compression;

namespace GradGen.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
/// a big-endian magic number <c>00 00 TT DD</c> (TT the element type, 0x08 for unsigned bytes; DD the number of
/// dimensions), DD big-endian int32 sizes, then the data. Images are <c>0x00000803</c> [count, rows, columns];
/// labels are <c>0x00000801</c> [count].
/// <para>A file may be gzip-compressed or plain. Compression is detected from gzip's 1f 8b magic bytes, never from the
/// file name. Every defect throws <see cref="IdxFormatException"/> naming the file; nothing is partly returned.</para>
/// </summary>
public static class Idx
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    private const int InitialChunk = 1 << 24;

    public static IdxImages ReadImages(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        return ReadImages(stream, path);
    }

    /// <summary>Reads an images file from <paramref name="stream"/> (gzip or plain), from its current position to
    /// its end; <paramref name="sourceName"/> is quoted in error messages.</summary>
    public static IdxImages ReadImages(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        return Decode(stream, sourceName, (input, src) =>
        {
            Span<int> dims = stackalloc int[3];
            ReadHeader(input, src, ImagesMagic, dims);
            int count = dims[0], rows = dims[1], columns = dims[2];
            long length = (long)count * rows * columns;
            if (length > Array.MaxLength)
                throw IdxFormatException.For(src,
                    $"{count} images of {rows}×{columns} pixels is {length} bytes, more than one .NET array can hold (absurd size)");
            byte[] pixels = ReadBody(input, src, length, "pixel data");
            return new IdxImages(count, rows, columns, pixels);
        });
    }

    public static byte[] ReadLabels(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        return ReadLabels(stream, path);
    }

    /// <summary>Reads a labels file from <paramref name="stream"/> (gzip or plain), from its current position to
    /// its end; <paramref name="sourceName"/> is quoted in error messages.</summary>
    public static byte[] ReadLabels(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        return Decode(stream, sourceName, (input, src) =>
        {
            Span<int> dims = stackalloc int[1];
            ReadHeader(input, src, LabelsMagic, dims);
            return ReadBody(input, src, dims[0], "label data");
        });
    }

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    /// <summary>Runs <paramref name="parse"/> over the plain bytes of <paramref name="stream"/>, inflating it first if
    /// it starts with gzip's magic, and turns gzip's own errors into an <see cref="IdxFormatException"/>.</summary>
    private static T Decode<T>(Stream stream, string src, Func<Stream, string, T> parse)
    {
        // Peek at two bytes. A non-seekable stream is buffered whole so that the bytes can be read again.
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int got = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        bool gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (!gzip) return parse(stream, src);

        using var inflated = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return parse(inflated, src);
        }
        catch (InvalidDataException ex)
        {
            throw IdxFormatException.For(src, $"corrupt gzip data: {ex.Message}", ex);
        }
    }

    private static void ReadHeader(Stream input, string src, int expectedMagic, Span<int> dims)
    {
        int headerLength = 4 + 4 * dims.Length;
        Span<byte> header = stackalloc byte[headerLength];
        int got = input.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (got >= 4)
        {
            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != expectedMagic)
                throw IdxFormatException.For(src,
                    $"wrong magic number: found 0x{magic:X8} ({DescribeMagic(magic)}), " +
                    $"expected 0x{expectedMagic:X8} ({DescribeMagic(expectedMagic)})");
        }
        if (got < headerLength)
            throw IdxFormatException.For(src,
                $"truncated: the IDX header needs {headerLength} bytes, found {got}");
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            if (dims[i] < 0)
                throw IdxFormatException.For(src, $"dimension {i} is {dims[i]}: sizes must not be negative (absurd size)");
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes, then checks that nothing follows them.</summary>
    private static byte[] ReadBody(Stream input, string src, long length, string what)
    {
        // A header can claim up to 2 GB. Check a seekable stream's length before allocating, and grow the buffer
        // as data arrives from a gzip stream, so that a lying header fails fast instead of allocating it all.
        if (input.CanSeek && input.Length - input.Position < length)
            throw IdxFormatException.For(src,
                $"truncated: expected {length} bytes of {what}, found {input.Length - input.Position}");
        var body = new byte[input.CanSeek ? length : Math.Min(length, InitialChunk)];
        int got = 0;
        while (true)
        {
            got += input.ReadAtLeast(body.AsSpan(got), body.Length - got, throwOnEndOfStream: false);
            if (got < body.Length || body.Length == length) break;
            Array.Resize(ref body, (int)Math.Min(length, 2L * body.Length));
        }
        if (got < length)
            throw IdxFormatException.For(src, $"truncated: expected {length} bytes of {what}, found {got}");
        Span<byte> scratch = stackalloc byte[4096];
        long extra = 0;
        int n;
        while ((n = input.Read(scratch)) > 0) extra += n;
        if (extra > 0)
            throw IdxFormatException.For(src,
                $"{extra} trailing bytes after the {length} bytes of {what} that the header declares (wrong size in the header?)");
        return body;
    }

    private static string DescribeMagic(int magic)
    {
        if (magic == ImagesMagic) return "IDX ubyte images, 3 dimensions";
        if (magic == LabelsMagic) return "IDX ubyte labels, 1 dimension";
        if ((magic & unchecked((int)0xFFFF0000)) != 0) return "not an IDX file";
        string type = ((magic >> 8) & 0xFF) switch
        {
            0x08 => "ubyte",
            0x09 => "sbyte",
            0x0B => "int16",
            0x0C => "int32",
            0x0D => "float32",
            0x0E => "float64",
            int t => $"unknown type 0x{t:X2}",
        };
        return $"IDX {type}, {magic & 0xFF} dimensions";
    }
}
