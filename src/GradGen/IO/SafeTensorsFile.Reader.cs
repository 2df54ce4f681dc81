using System.Buffers.Binary;
using System.Text.Json;

namespace GradGen.IO;

public sealed partial class SafeTensorsFile
{
    /// <summary>The format's own limit on the JSON header (the reference implementation refuses more than 100 MB).
    /// A bigger length means the file is not safetensors, and is refused before anything is allocated.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Reads and validates a safetensors file. Every defect throws <see cref="SafeTensorsException"/> naming
    /// <paramref name="path"/>; the result is returned only when the whole file is valid.</summary>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>Reads and validates a safetensors file from <paramref name="stream"/>, from its current position to
    /// its end. <paramref name="sourceName"/> is quoted in error messages. A seekable stream has its lengths checked
    /// before any tensor is allocated; a non-seekable one must end exactly where the last tensor ends.</summary>
    public static SafeTensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        string src = sourceName;

        // 1. The 8-byte header length.
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw SafeTensorsException.For(src,
                $"truncated: the file is {got} bytes long, shorter than the 8-byte header-length prefix");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        long? afterPrefix = stream.CanSeek ? stream.Length - stream.Position : null;
        if (headerLength > MaxHeaderLength)
            throw SafeTensorsException.For(src,
                $"header length {headerLength} is absurd (the format allows at most {MaxHeaderLength} bytes); " +
                "this is probably not a safetensors file");
        if (afterPrefix is long rest && headerLength > (ulong)rest)
            throw SafeTensorsException.For(src,
                $"header length {headerLength} is larger than the file: only {rest} bytes follow the 8-byte prefix " +
                "(truncated, or not a safetensors file)");

        // 2. The JSON header.
        var header = new byte[headerLength];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw SafeTensorsException.For(src,
                $"truncated: the header length is {headerLength} bytes but only {got} bytes follow the prefix");
        long? dataLength = afterPrefix - (long)headerLength;
        (List<Entry> entries, Dictionary<string, string> metadata) = ParseHeader(header, src);

        // 3. The offsets: in range, in order, no overlap, no hole, nothing left over.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End) : a.HeaderIndex.CompareTo(b.HeaderIndex));
        if (dataLength is long available)
        {
            foreach (var e in entries)
                if (e.End > available)
                    throw SafeTensorsException.For(src,
                        $"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}], out of range: the data section " +
                        $"has only {available} bytes (truncated file?)");
        }
        long covered = 0;
        Entry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < covered)
                throw SafeTensorsException.For(src,
                    $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Value.Name}' " +
                    $"[{previous.Value.Begin}, {previous.Value.End}]");
            if (e.Begin > covered)
                throw SafeTensorsException.For(src,
                    $"bytes [{covered}, {e.Begin}) of the data section belong to no tensor (a hole before " +
                    $"tensor '{e.Name}'); the format requires the tensors to cover the data exactly");
            covered = e.End;
            previous = e;
        }
        if (dataLength is long total && covered != total)
            throw SafeTensorsException.For(src,
                $"the data section has {total} bytes but the tensors cover only {covered}: " +
                $"{total - covered} trailing bytes belong to no tensor (a hole at the end)");

        // 4. The data, tensor by tensor, in file order. Nothing is handed out until all of it has been read.
        var file = new SafeTensorsFile(src);
        foreach (var e in entries)
        {
            long byteLength = e.End - e.Begin;
            if (byteLength > Array.MaxLength)
                throw SafeTensorsException.For(src,
                    $"tensor '{e.Name}' is {byteLength} bytes, more than one .NET array can hold");
            var bytes = new byte[byteLength];
            got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (got < bytes.Length)
                throw SafeTensorsException.For(src,
                    $"truncated: the data section ends after {e.Begin + got} bytes, inside tensor '{e.Name}' " +
                    $"(data_offsets [{e.Begin}, {e.End}])");
            var tensor = new SafeTensor(src, e.Name, e.DType, e.Shape, e.Count, bytes);
            file._tensors.Add(tensor);
            file._byName.Add(e.Name, tensor);
        }
        if (dataLength is null && stream.ReadByte() >= 0)
            throw SafeTensorsException.For(src,
                $"the data section is longer than the {covered} bytes the tensors cover: trailing bytes belong to no tensor");
        foreach (var (key, value) in metadata) file._metadata.Add(key, value);
        return file;
    }

    private readonly record struct Entry(
        string Name, SafeTensorsDType DType, int[] Shape, long Count, long Begin, long End, int HeaderIndex);

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(byte[] header, string src)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw SafeTensorsException.For(src, "the header is not valid UTF-8, so it is not valid JSON");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw SafeTensorsException.For(src, $"the header is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw SafeTensorsException.For(src, $"the header is not a JSON object (it is {Describe(root.ValueKind)})");

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw SafeTensorsException.For(src, $"duplicate '{MetadataKey}' entry in the header");
                    sawMetadata = true;
                    ParseMetadata(property.Value, metadata, src);
                    continue;
                }
                if (!names.Add(property.Name))
                    throw SafeTensorsException.For(src, $"duplicate tensor name '{property.Name}' in the header");
                entries.Add(ParseEntry(property.Name, property.Value, entries.Count, src));
            }
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string src)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsException.For(src,
                $"'{MetadataKey}' is {Describe(value.ValueKind)}, but it must be an object of strings");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw SafeTensorsException.For(src,
                    $"metadata entry '{item.Name}' is {Describe(item.Value.ValueKind)}, but metadata values must be strings");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw SafeTensorsException.For(src, $"duplicate metadata key '{item.Name}'");
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, int headerIndex, string src)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsException.For(src,
                $"tensor '{name}': the entry is {Describe(value.ValueKind)}, not an object with dtype, shape and data_offsets");

        // dtype
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement))
            throw SafeTensorsException.For(src, $"tensor '{name}' is missing \"dtype\"");
        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw SafeTensorsException.For(src, $"tensor '{name}': \"dtype\" is {Describe(dtypeElement.ValueKind)}, not a string");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeName, out SafeTensorsDType dtype))
            throw SafeTensorsException.For(src, SafeTensorsDTypes.IsKnownToFormat(dtypeName)
                ? $"tensor '{name}' has dtype {dtypeName}, which GradGen does not support (unsupported dtype; supported: F32, F64, I64)"
                : $"tensor '{name}' has unknown dtype \"{dtypeName}\" (unsupported dtype; supported: F32, F64, I64)");

        // shape
        if (!value.TryGetProperty("shape", out JsonElement shapeElement))
            throw SafeTensorsException.For(src, $"tensor '{name}' is missing \"shape\"");
        if (shapeElement.ValueKind != JsonValueKind.Array)
            throw SafeTensorsException.For(src, $"tensor '{name}': \"shape\" is {Describe(shapeElement.ValueKind)}, not an array");
        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        bool overflow = false;
        int d = 0;
        foreach (JsonElement dimElement in shapeElement.EnumerateArray())
        {
            if (dimElement.ValueKind != JsonValueKind.Number || !dimElement.TryGetInt64(out long dim))
                throw SafeTensorsException.For(src, $"tensor '{name}': shape entry {d} is {dimElement.GetRawText()}, not an integer");
            if (dim < 0)
                throw SafeTensorsException.For(src, $"tensor '{name}' has a negative dimension {dim} in its shape");
            if (dim > int.MaxValue)
                throw SafeTensorsException.For(src, $"tensor '{name}' has dimension {dim}, too large for an int");
            shape[d++] = (int)dim;
            if (!overflow)
            {
                Int128 product = (Int128)count * dim;
                if (product > long.MaxValue) overflow = true;
                else count = (long)product;
            }
        }
        if (shape.Contains(0)) { count = 0; overflow = false; }

        // data_offsets
        if (!value.TryGetProperty("data_offsets", out JsonElement offsetsElement))
            throw SafeTensorsException.For(src, $"tensor '{name}' is missing \"data_offsets\"");
        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw SafeTensorsException.For(src,
                $"tensor '{name}': \"data_offsets\" is {offsetsElement.GetRawText()}, not an array [begin, end]");
        long begin = ReadOffset(offsetsElement[0], name, "begin", src);
        long end = ReadOffset(offsetsElement[1], name, "end", src);
        if (end < begin)
            throw SafeTensorsException.For(src,
                $"tensor '{name}' has reversed data_offsets [{begin}, {end}]: the end comes before the begin");

        // size agreement
        int elementSize = SafeTensorsDTypes.SizeOf(dtype);
        string shapeText = "[" + string.Join(", ", shape) + "]";
        if (overflow || (Int128)count * elementSize != end - begin)
            throw SafeTensorsException.For(src,
                $"tensor '{name}': byte length mismatch: data_offsets [{begin}, {end}] span {end - begin} bytes, " +
                $"but shape {shapeText} of {dtypeName} needs " +
                (overflow ? "more than 2^63 bytes" : $"{(Int128)count * elementSize} bytes ({count} × {elementSize})"));
        return new Entry(name, dtype, shape, count, begin, end, headerIndex);
    }

    private static long ReadOffset(JsonElement element, string name, string which, string src)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset) || offset < 0)
            throw SafeTensorsException.For(src,
                $"tensor '{name}': data_offsets {which} is {element.GetRawText()}, not a valid offset (out of range)");
        return offset;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
