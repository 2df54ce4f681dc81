using System.Buffers.Binary;
using System.Text;
using GradGen.IO;

namespace GradGen.Runtime.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gradgen-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string ReferencePath(string name) => Path.Combine(AppContext.BaseDirectory, "Reference", name);

    /// <summary>a: F32 [2, 3]; b: F64 [2]; c: I64 [3]; plus two metadata entries.</summary>
    private static SafeTensorsFile BuildSample()
    {
        var file = new SafeTensorsFile();
        file.SetMetadata("case", "round_trip");
        file.SetMetadata("note", "ünïcode + <html> \"quotes\"");
        file.Add("a", new[] { 1f, -2.5f, float.Epsilon, float.MaxValue, -0f, float.NaN }, 2, 3);
        file.Add("b", new[] { Math.PI, -1e-300 }, 2);
        file.Add("c", new[] { 0L, long.MaxValue, -7L }, 3);
        return file;
    }

    private static byte[] SampleBytes()
    {
        var stream = new MemoryStream();
        BuildSample().Write(stream);
        return stream.ToArray();
    }

    [Fact]
    public void RoundTrip_KeepsDTypesShapesValuesAndMetadata()
    {
        string path = Path.Combine(_dir, "round.safetensors");
        BuildSample().Write(path);
        SafeTensorsFile file = SafeTensorsFile.Read(path);

        Assert.Equal(path, file.SourceName);
        Assert.Equal("round_trip", file.Metadata["case"]);
        Assert.Equal("ünïcode + <html> \"quotes\"", file.Metadata["note"]);
        Assert.Equal(["a", "b", "c"], file.Tensors.Select(t => t.Name));

        SafeTensor a = file["a"];
        Assert.Equal(SafeTensorsDType.F32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal(6, a.ElementCount);
        Assert.Equal(24, a.Bytes.Length);
        float[] floats = a.ToFloatArray();
        Assert.Equal(new[] { 1f, -2.5f, float.Epsilon, float.MaxValue }, floats[..4]);
        Assert.True(float.IsNegative(floats[4]) && floats[4] == 0);
        Assert.True(float.IsNaN(floats[5]));
        Assert.Equal(1.0, a.ToDoubleArray()[0]); // F32 widens exactly
        Assert.Equal(-2.5, a.ToDoubleArray()[1]);
        var copied = new float[6];
        a.CopyTo(copied);
        Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(copied[5]));

        SafeTensor b = file["b"];
        Assert.Equal(SafeTensorsDType.F64, b.DType);
        Assert.Equal([Math.PI, -1e-300], b.ToDoubleArray());
        var doubles = new double[2];
        b.CopyTo(doubles);
        Assert.Equal(Math.PI, doubles[0]);
        Assert.Equal((float)Math.PI, b.ToFloatArray()[0]); // F64 rounds to float

        SafeTensor c = file["c"];
        Assert.Equal(SafeTensorsDType.I64, c.DType);
        Assert.Equal([0L, long.MaxValue, -7L], c.ToInt64Array());
    }

    [Fact]
    public void Writer_AlignsDataToEightBytes_PadsWithSpaces_AndLaysTensorsOutContiguously()
    {
        byte[] bytes = SampleBytes();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":", header);
        Assert.Equal(header.TrimEnd(' ').Length, header.TrimEnd().Length); // padding is spaces only
        Assert.Contains("\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", header);
        Assert.Contains("\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[24,40]}", header);
        Assert.Contains("\"c\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[40,64]}", header);
        Assert.Equal(8 + (long)n + 64, bytes.Length);
    }

    [Fact]
    public void ScalarsAndEmptyTensorsRoundTrip()
    {
        var file = new SafeTensorsFile();
        file.Add("loss", new[] { 0.25 });
        file.Add("empty", ReadOnlySpan<float>.Empty, 0, 4);
        var stream = new MemoryStream();
        file.Write(stream);
        stream.Position = 0;
        SafeTensorsFile read = SafeTensorsFile.Read(stream, "memory");
        Assert.Empty(read["loss"].Shape);
        Assert.Equal(1, read["loss"].ElementCount);
        Assert.Equal(0.25, read["loss"].ToDoubleArray()[0]);
        Assert.Equal([0, 4], read["empty"].Shape);
        Assert.Equal(0, read["empty"].ElementCount);
        Assert.Empty(read.Metadata);
    }

    [Fact]
    public void ReadsThePyTorchReferenceFile()
    {
        string path = ReferencePath("mlp_relu_ce.safetensors");
        SafeTensorsFile file = SafeTensorsFile.Read(path);

        Assert.Equal("mlp_relu_ce", file.Metadata["case"]);
        Assert.Equal("cross_entropy", file.Metadata["loss"]);
        Assert.Equal(16, file.Tensors.Count);
        // Tensors come in data-offset order, which here is also the header's order.
        Assert.Equal("input", file.Tensors[0].Name);
        Assert.Equal("grad.2.bias", file.Tensors[^1].Name);

        SafeTensor weight = file["param.0.weight"];
        Assert.Equal(SafeTensorsDType.F64, weight.DType);
        Assert.Equal([16, 20], weight.Shape);
        Assert.Equal([8, 20], file["input"].Shape);

        SafeTensor target = file["target"];
        Assert.Equal(SafeTensorsDType.I64, target.DType);
        Assert.Equal([8], target.Shape);
        int[] labels = target.ToInt32Array();
        Assert.All(labels, label => Assert.InRange(label, 0, 4));

        SafeTensor loss = file["loss"];
        Assert.Empty(loss.Shape);
        double value = loss.ToDoubleArray().Single();
        Assert.True(double.IsFinite(value) && value > 0, $"loss {value}");

        // Stream reading gives the same thing, non-seekable too.
        using var fs = File.OpenRead(path);
        SafeTensorsFile viaStream = SafeTensorsFile.Read(new NonSeekableStream(fs), "ref");
        Assert.Equal(weight.ToDoubleArray(), viaStream["param.0.weight"].ToDoubleArray());
    }

    [Fact]
    public void RewritingTheReferenceFileKeepsEveryTensor()
    {
        SafeTensorsFile original = SafeTensorsFile.Read(ReferencePath("mlp_relu_ce.safetensors"));
        var stream = new MemoryStream();
        original.Write(stream);
        stream.Position = 0;
        SafeTensorsFile copy = SafeTensorsFile.Read(stream, "copy");
        Assert.Equal(original.Metadata, copy.Metadata);
        foreach (SafeTensor t in original.Tensors)
        {
            Assert.Equal(t.DType, copy[t.Name].DType);
            Assert.Equal(t.Shape, copy[t.Name].Shape);
            Assert.True(t.Bytes.Span.SequenceEqual(copy[t.Name].Bytes.Span), t.Name);
        }
    }

    [Fact]
    public void Lookup_MissingTensor_NamesTensorAndFile()
    {
        string path = ReferencePath("mlp_relu_ce.safetensors");
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        var ex = Assert.Throws<KeyNotFoundException>(() => file["param.9.weight"]);
        Assert.Contains("param.9.weight", ex.Message);
        Assert.Contains("mlp_relu_ce.safetensors", ex.Message);
        Assert.False(file.TryGet("nope", out _));
        Assert.True(file.TryGet("loss", out SafeTensor loss));
        Assert.Equal("loss", loss.Name);
        Assert.True(file.Contains("target"));
        Assert.False(file.Contains("Target"));
    }

    [Fact]
    public void Conversions_RefuseTheWrongDType()
    {
        SafeTensorsFile file = SafeTensorsFile.Read(ReferencePath("mlp_relu_ce.safetensors"));
        SafeTensor weight = file["param.0.weight"]; // F64
        SafeTensor target = file["target"];         // I64

        var ex = Assert.Throws<SafeTensorsException>(() => weight.CopyTo(new float[320]));
        Assert.Contains("param.0.weight", ex.Message);
        Assert.Contains("F64", ex.Message);
        Assert.Contains("mlp_relu_ce.safetensors", ex.Message);
        Assert.Throws<SafeTensorsException>(() => target.CopyTo(new double[8]));
        Assert.Throws<SafeTensorsException>(() => target.ToDoubleArray());
        Assert.Throws<SafeTensorsException>(() => target.ToFloatArray());
        Assert.Throws<SafeTensorsException>(() => weight.ToInt64Array());
        Assert.Throws<SafeTensorsException>(() => weight.ToInt32Array());
        Assert.Throws<ArgumentException>(() => weight.CopyTo(new double[319]));
        weight.CopyTo(new double[320]);
    }

    [Fact]
    public void ToInt32Array_ThrowsWhenAValueDoesNotFit()
    {
        var file = new SafeTensorsFile();
        file.Add("labels", new[] { 1L, 1L << 40 }, 2);
        var ex = Assert.Throws<SafeTensorsException>(() => file["labels"].ToInt32Array());
        Assert.Contains("labels", ex.Message);
        Assert.Contains(1099511627776L.ToString(), ex.Message);
    }

    [Fact]
    public void Add_ValidatesNamesAndShapes()
    {
        var file = new SafeTensorsFile();
        file.Add("x", new[] { 1f, 2f }, 2);
        Assert.Throws<ArgumentException>(() => file.Add("x", new[] { 1f }, 1));             // duplicate
        Assert.Throws<ArgumentException>(() => file.Add("__metadata__", new[] { 1f }, 1));  // reserved
        Assert.Throws<ArgumentException>(() => file.Add("y", new[] { 1f, 2f, 3f }, 2, 2)); // 3 != 4
        Assert.Throws<ArgumentException>(() => file.Add("z", new[] { 1f, 2f }));           // scalar needs 1
        Assert.Throws<ArgumentException>(() => file.Add("w", new[] { 1f }, -1));           // negative
        Assert.Throws<ArgumentException>(() => file.Add("v", ReadOnlySpan<double>.Empty, 1_000_000, 1_000_000, 1_000_000));
        file.Add("u", ReadOnlySpan<double>.Empty, 1_000_000, 0, 1_000_000);
        Assert.Single(file.Tensors, t => t.Name == "u");
    }

    // ---- malformed files: each is a valid file with some bytes corrupted ----

    /// <summary>Rebuilds the sample file with its header text edited (the length prefix follows the edit).</summary>
    private static byte[] WithHeader(Func<string, string> edit, Func<byte[], byte[]>? editData = null)
    {
        byte[] valid = SampleBytes();
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string header = Encoding.UTF8.GetString(valid, 8, n);
        byte[] data = valid[(8 + n)..];
        string edited = edit(header);
        Assert.NotEqual(header, edited); // the edit must have hit
        byte[] newHeader = Encoding.UTF8.GetBytes(edited);
        data = editData?.Invoke(data) ?? data;
        var result = new byte[8 + newHeader.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)newHeader.Length);
        newHeader.CopyTo(result, 8);
        data.CopyTo(result, 8 + newHeader.Length);
        return result;
    }

    private static byte[] WithPrefix(ulong headerLength)
    {
        byte[] bytes = SampleBytes();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        return bytes;
    }

    private const string AEntry = "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
    private const string BEntry = "\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[24,40]}";
    private const string COffsets = "\"data_offsets\":[40,64]";

    public static TheoryData<string, string[]> MalformedCases() => new()
    {
        { "tiny", ["shorter than", "8-byte"] },
        { "header-longer-than-file", ["header length", "larger than the file"] },
        { "header-absurd", ["absurd"] },
        { "header-not-json", ["not valid JSON"] },
        { "header-not-object", ["not a JSON object"] },
        { "header-invalid-utf8", ["not valid UTF-8"] },
        { "missing-dtype", ["'a'", "missing \"dtype\""] },
        { "missing-shape", ["'b'", "missing \"shape\""] },
        { "missing-offsets", ["'c'", "missing \"data_offsets\""] },
        { "unsupported-dtype", ["'a'", "BF16", "unsupported"] },
        { "unknown-dtype", ["'a'", "F33", "unknown"] },
        { "reversed-offsets", ["'b'", "reversed"] },
        { "offsets-out-of-range", ["'c'", "out of range"] },
        { "overlapping-offsets", ["'c'", "overlap", "'b'"] },
        { "hole-between-tensors", ["'c'", "hole"] },
        { "trailing-bytes", ["8 trailing bytes", "hole"] },
        { "truncated-data", ["'c'", "out of range", "truncated"] },
        { "byte-length-mismatch", ["'a'", "mismatch", "[2, 4]"] },
        { "negative-dimension", ["'a'", "negative"] },
        { "fractional-dimension", ["'a'", "not an integer"] },
        { "duplicate-name", ["duplicate tensor name 'b'"] },
        { "metadata-not-strings", ["metadata entry 'case'", "must be strings"] },
        { "entry-not-object", ["'b'", "not an object"] },
    };

    private static byte[] BuildMalformed(string defect) => defect switch
    {
        "tiny" => SampleBytes()[..5],
        "header-longer-than-file" => WithPrefix((ulong)SampleBytes().Length),
        "header-absurd" => WithPrefix(1UL << 50),
        "header-not-json" => WithHeader(h => h.Replace("\"a\":{", "\"a\":{{")),
        "header-not-object" => WithHeader(h => "[1, 2, 3]" + new string(' ', 7)),
        "header-invalid-utf8" => InvalidUtf8(),
        "missing-dtype" => WithHeader(h => h.Replace("\"a\":{\"dtype\"", "\"a\":{\"dtypo\"")),
        "missing-shape" => WithHeader(h => h.Replace("\"b\":{\"dtype\":\"F64\",\"shape\"", "\"b\":{\"dtype\":\"F64\",\"shapes\"")),
        "missing-offsets" => WithHeader(h => h.Replace(COffsets, "\"offsets\":[40,64]")),
        "unsupported-dtype" => WithHeader(h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":\"BF16\"")),
        "unknown-dtype" => WithHeader(h => h.Replace("\"dtype\":\"F32\"", "\"dtype\":\"F33\"")),
        "reversed-offsets" => WithHeader(h => h.Replace("[24,40]", "[40,24]")),
        "offsets-out-of-range" => WithHeader(h => h.Replace(COffsets, "\"data_offsets\":[48,72]")),
        "overlapping-offsets" => WithHeader(h => h.Replace(COffsets, "\"data_offsets\":[32,56]"), d => d[..56]),
        "hole-between-tensors" => WithHeader(h => h.Replace(COffsets, "\"data_offsets\":[48,72]"), d => [.. d, .. new byte[8]]),
        "trailing-bytes" => WithHeader(h => h + " ", d => [.. d, .. new byte[8]]),
        "truncated-data" => SampleBytes()[..^4],
        "byte-length-mismatch" => WithHeader(h => h.Replace("\"shape\":[2,3]", "\"shape\":[2,4]")),
        "negative-dimension" => WithHeader(h => h.Replace("\"shape\":[2,3]", "\"shape\":[-2,3]")),
        "fractional-dimension" => WithHeader(h => h.Replace("\"shape\":[2,3]", "\"shape\":[2.5,3]")),
        "duplicate-name" => WithHeader(h => h.Replace(AEntry, AEntry + "," + BEntry)),
        "metadata-not-strings" => WithHeader(h => h.Replace("\"case\":\"round_trip\"", "\"case\":17")),
        "entry-not-object" => WithHeader(h => h.Replace(BEntry, "\"b\":[24,40]")),
        _ => throw new ArgumentOutOfRangeException(nameof(defect), defect, null),
    };

    private static byte[] InvalidUtf8()
    {
        byte[] bytes = SampleBytes();
        int at = Encoding.UTF8.GetString(bytes, 8, 64).IndexOf("round_trip", StringComparison.Ordinal);
        bytes[8 + at] = 0xFF;
        return bytes;
    }

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void MalformedFile_ThrowsNamingFileAndDefect(string defect, string[] expectedWords)
    {
        string path = Path.Combine(_dir, $"corrupt-{defect}.safetensors");
        File.WriteAllBytes(path, BuildMalformed(defect));

        var ex = Assert.Throws<SafeTensorsException>(() => SafeTensorsFile.Read(path));
        Assert.Contains($"corrupt-{defect}.safetensors", ex.Message);
        foreach (string word in expectedWords)
            Assert.Contains(word, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void MalformedStream_NonSeekable_AlsoThrowsNamingTheSource(string defect, string[] expectedWords)
    {
        var stream = new NonSeekableStream(new MemoryStream(BuildMalformed(defect)));
        var ex = Assert.Throws<SafeTensorsException>(() => SafeTensorsFile.Read(stream, $"stream-{defect}"));
        Assert.Contains($"stream-{defect}", ex.Message);
        foreach (string word in NonSeekableWords.GetValueOrDefault(defect, expectedWords))
            Assert.Contains(word, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The defects whose message differs on a non-seekable stream: it cannot know the file's length before
    /// reading to the end, so it reports what it found while reading.</summary>
    private static readonly Dictionary<string, string[]> NonSeekableWords = new()
    {
        ["header-longer-than-file"] = ["truncated", "header length is 320 bytes", "only 312 bytes follow"],
        ["offsets-out-of-range"] = ["'c'", "hole"],
        ["truncated-data"] = ["'c'", "truncated", "ends after 60 bytes"],
        ["trailing-bytes"] = ["longer than the 64 bytes", "trailing bytes"],
    };

    [Fact]
    public void ValidSampleReadsFromANonSeekableStream()
    {
        var stream = new NonSeekableStream(new MemoryStream(SampleBytes()));
        SafeTensorsFile file = SafeTensorsFile.Read(stream, "pipe");
        Assert.Equal(3, file.Tensors.Count);
        Assert.Equal([0L, long.MaxValue, -7L], file["c"].ToInt64Array());
    }

    [Fact]
    public void TensorsAreListedInDataOffsetOrder_NotHeaderOrder()
    {
        // Swap a and c's places in the data section but keep the header's order a, b, c.
        byte[] bytes = WithHeader(
            h => h.Replace(COffsets, "\"data_offsets\":[C]").Replace("[0,24]", "[40,64]").Replace("[C]", "[0,24]"),
            d => [.. d[40..64], .. d[24..40], .. d[0..24]]);
        SafeTensorsFile file = SafeTensorsFile.Read(new MemoryStream(bytes), "reordered");
        Assert.Equal(["c", "b", "a"], file.Tensors.Select(t => t.Name));
        Assert.Equal([0L, long.MaxValue, -7L], file["c"].ToInt64Array());
        Assert.Equal(-2.5f, file["a"].ToFloatArray()[1]);
    }
}
