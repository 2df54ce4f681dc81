using System.Buffers.Binary;
using System.IO.Compression;

namespace GradGen.Runtime.Tests.Data;

/// <summary>Builds small IDX files in memory, plain or gzip-compressed, and finds the shipped Fashion-MNIST files.</summary>
internal static class IdxFiles
{
    public static byte[] Images(int count, int rows, int columns, Func<int, byte> pixel, bool gzip = false)
    {
        var bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = pixel(i - 16);
        return gzip ? Gzip(bytes) : bytes;
    }

    public static byte[] Labels(byte[] labels, bool gzip = false)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return gzip ? Gzip(bytes) : bytes;
    }

    public static byte[] Gzip(byte[] plain)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(plain);
        return output.ToArray();
    }

    /// <summary>samples/GradGen.Samples.FashionMnist/Data in this repository, found by walking up from the test
    /// binaries to the directory that holds GradGen.sln.</summary>
    public static string ShippedFashionMnistDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GradGen.sln")))
                return Path.Combine(dir.FullName, "samples", "GradGen.Samples.FashionMnist", "Data");
        }
        throw new DirectoryNotFoundException($"GradGen.sln not found above {AppContext.BaseDirectory}");
    }
}
