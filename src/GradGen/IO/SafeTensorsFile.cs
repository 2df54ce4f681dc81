using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Buffers.Binary;

namespace GradGen.IO;

/// <summary>
/// A safetensors file held in memory: its tensors and its <c>__metadata__</c>.
/// <para>Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian u64 header length N; N bytes of
/// UTF-8 JSON, padded with spaces, mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c>
/// with offsets counted from the start of the data section; then the data, little-endian and row-major.</para>
/// <para>Reading (<see cref="Read(string)"/>, in <c>SafeTensorsFile.Reader.cs</c>) validates the whole file before it
/// returns, so a malformed file throws <see cref="SafeTensorsException"/> and nothing is partly loaded.
/// Building (<see cref="Add(string, ReadOnlySpan{float}, int[])"/>) and writing (<see cref="Write(string)"/>, in
/// <c>SafeTensorsFile.Writer.cs</c>) produce files that PyTorch's <c>safetensors</c> package reads.</para>
/// </summary>
public sealed partial class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";
    private const string InMemorySource = "(in memory)";

    private readonly List<SafeTensor> _tensors = [];
    private readonly Dictionary<string, SafeTensor> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly ReadOnlyCollection<SafeTensor> _tensorsView;
    private readonly ReadOnlyDictionary<string, string> _metadataView;

    /// <summary>An empty file, to fill with <see cref="Add(string, ReadOnlySpan{float}, int[])"/> and write.</summary>
    public SafeTensorsFile() : this(InMemorySource) { }

    private SafeTensorsFile(string sourceName)
    {
        SourceName = sourceName;
        _tensorsView = _tensors.AsReadOnly();
        _metadataView = _metadata.AsReadOnly();
    }

    /// <summary>The path or stream name the file was read from, or "(in memory)"; error messages quote it.</summary>
    public string SourceName { get; }

    /// <summary>The <c>__metadata__</c> entries (string to string).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadataView;

    /// <summary>The tensors. A file that was read lists them in data-offset order (the order of their bytes in the file;
    /// JSON object order carries no meaning). A built file lists them in the order they were added, which is also the
    /// order <see cref="Write(Stream)"/> lays them out.</summary>
    public IReadOnlyList<SafeTensor> Tensors => _tensorsView;

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names the tensor, the file and what it holds.</exception>
    public SafeTensor this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_byName.TryGetValue(name, out var tensor)) return tensor;
            const int shown = 12;
            string list = string.Join(", ", _tensors.Take(shown).Select(t => t.Name));
            if (_tensors.Count > shown) list += $", … ({_tensors.Count - shown} more)";
            throw new KeyNotFoundException(
                $"{SourceName}: no tensor named '{name}'; the file holds {_tensors.Count} tensors: {list}");
        }
    }

    public bool TryGet(string name, out SafeTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out tensor!);
    }

    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.ContainsKey(name);
    }

    /// <summary>Sets (or replaces) a <c>__metadata__</c> entry.</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    /// <summary>Adds an F32 tensor; <paramref name="shape"/> is outermost first, and an empty shape means a scalar
    /// (one element). The data is copied.</summary>
    public void Add(string name, ReadOnlySpan<float> data, params int[] shape)
    {
        byte[] bytes = MemoryMarshal.AsBytes(data).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        AddCore(name, SafeTensorsDType.F32, data.Length, bytes, shape);
    }

    /// <summary>Adds an F64 tensor; see <see cref="Add(string, ReadOnlySpan{float}, int[])"/>.</summary>
    public void Add(string name, ReadOnlySpan<double> data, params int[] shape)
    {
        byte[] bytes = MemoryMarshal.AsBytes(data).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), data[i]);
        AddCore(name, SafeTensorsDType.F64, data.Length, bytes, shape);
    }

    /// <summary>Adds an I64 tensor (class indices, as PyTorch stores them); see
    /// <see cref="Add(string, ReadOnlySpan{float}, int[])"/>.</summary>
    public void Add(string name, ReadOnlySpan<long> data, params int[] shape)
    {
        byte[] bytes = MemoryMarshal.AsBytes(data).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), data[i]);
        AddCore(name, SafeTensorsDType.I64, data.Length, bytes, shape);
    }

    private void AddCore(string name, SafeTensorsDType dtype, int length, byte[] bytes, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name == MetadataKey)
            throw new ArgumentException($"'{MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(name));
        if (_byName.ContainsKey(name))
            throw new ArgumentException($"{SourceName}: a tensor named '{name}' already exists", nameof(name));
        if (shape.Any(dim => dim < 0))
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
        long count = shape.Contains(0) ? 0 : 1;
        for (int i = 0; i < shape.Length && count != 0 && count <= length; i++)
            count *= shape[i]; // stops once past length (an int), so it cannot overflow
        if (count != length)
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] needs {ShapeProduct(shape)} elements but the data has {length}" +
                (shape.Length == 0 ? " (an empty shape means a scalar: one element)" : ""), nameof(shape));
        var tensor = new SafeTensor(SourceName, name, dtype, (int[])shape.Clone(), length, bytes);
        _tensors.Add(tensor);
        _byName.Add(name, tensor);
    }

    private static string ShapeProduct(int[] shape)
    {
        System.Numerics.BigInteger product = System.Numerics.BigInteger.One;
        foreach (int dim in shape) product *= dim;
        return product.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
