using System.Text.Json;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>
/// A minimal safetensors reader for the PyTorch reference cases (tests/GradGen.Tests/Reference, linked into this
/// project's output as <c>Reference/</c>; F64 and I64 only), so that these tests do not depend on GradGen.IO.
/// </summary>
internal sealed class ReferenceFile
{
    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, (string DType, long Begin, long End)> _entries = [];

    public ReferenceFile(string name)
    {
        _bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reference", name + ".safetensors"));
        long headerLength = BitConverter.ToInt64(_bytes, 0);
        _dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(_bytes.AsMemory(8, (int)headerLength));
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                Spec = entry.Value.GetProperty("spec").GetString() ?? "";
                continue;
            }
            JsonElement offsets = entry.Value.GetProperty("data_offsets");
            _entries[entry.Name] = (entry.Value.GetProperty("dtype").GetString()!, offsets[0].GetInt64(), offsets[1].GetInt64());
        }
    }

    public string Spec { get; } = "";

    public double[] Doubles(string name)
    {
        var (dtype, begin, end) = _entries[name];
        Assert.Equal("F64", dtype);
        var values = new double[(end - begin) / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToDouble(_bytes, (int)(_dataStart + begin + 8 * i));
        return values;
    }

    public long[] Longs(string name)
    {
        var (dtype, begin, end) = _entries[name];
        Assert.Equal("I64", dtype);
        var values = new long[(end - begin) / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToInt64(_bytes, (int)(_dataStart + begin + 8 * i));
        return values;
    }
}
