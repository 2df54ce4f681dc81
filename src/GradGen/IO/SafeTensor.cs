using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace GradGen.IO;

/// <summary>One tensor of a safetensors file: its name, dtype, shape and raw little-endian row-major bytes.
/// The conversions copy; <see cref="CopyTo(Span{float})"/> and <see cref="CopyTo(Span{double})"/> copy into
/// caller-owned memory without converting.</summary>
public sealed class SafeTensor
{
    private readonly byte[] _bytes;
    private readonly int[] _shape;

    internal SafeTensor(string source, string name, SafeTensorsDType dtype, int[] shape, long elementCount, byte[] bytes)
    {
        Source = source;
        Name = name;
        DType = dtype;
        _shape = shape;
        ElementCount = elementCount;
        _bytes = bytes;
    }

    /// <summary>The file or stream the tensor came from, used in error messages ("(in memory)" for added tensors).</summary>
    internal string Source { get; }

    public string Name { get; }

    public SafeTensorsDType DType { get; }

    /// <summary>The shape, outermost dimension first; empty for a scalar. A copy, so callers may keep or change it.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The product of the shape (1 for a scalar).</summary>
    public long ElementCount { get; }

    internal byte[] RawBytes => _bytes;

    /// <summary>The raw little-endian, row-major bytes: <see cref="ElementCount"/> times the dtype's size.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The shape as text, "[16, 20]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", _shape) + "]";

    /// <summary>The values as doubles. F64 is copied as is, F32 widened exactly; I64 is refused (use
    /// <see cref="ToInt64Array"/>) because silently turning labels into doubles hides mistakes.</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.F64:
                CopyTo(result.AsSpan());
                break;
            case SafeTensorsDType.F32:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadSingleLittleEndian(_bytes.AsSpan(i * 4));
                break;
            default:
                throw WrongDType("ToDoubleArray", "F64 or F32");
        }
        return result;
    }

    /// <summary>The values as floats. F32 is copied as is; F64 is rounded to the nearest float
    /// (the reference files are F64, and float networks compare against them with a float tolerance).</summary>
    public float[] ToFloatArray()
    {
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.F32:
                CopyTo(result.AsSpan());
                break;
            case SafeTensorsDType.F64:
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(_bytes.AsSpan(i * 8));
                break;
            default:
                throw WrongDType("ToFloatArray", "F32 or F64");
        }
        return result;
    }

    /// <summary>The values of an I64 tensor.</summary>
    public long[] ToInt64Array()
    {
        if (DType != SafeTensorsDType.I64) throw WrongDType("ToInt64Array", "I64");
        var result = new long[ElementCount];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, long>(_bytes).CopyTo(result);
        }
        else
        {
            for (int i = 0; i < result.Length; i++)
                result[i] = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan(i * 8));
        }
        return result;
    }

    /// <summary>The values of an I64 tensor as ints (class labels). Throws if a value does not fit in an int.</summary>
    public int[] ToInt32Array()
    {
        if (DType != SafeTensorsDType.I64) throw WrongDType("ToInt32Array", "I64");
        var result = new int[ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            long value = BinaryPrimitives.ReadInt64LittleEndian(_bytes.AsSpan(i * 8));
            if (value < int.MinValue || value > int.MaxValue)
                throw SafeTensorsException.For(Source,
                    $"tensor '{Name}' element {i} is {value}, which does not fit in an int (out of range for ToInt32Array)");
            result[i] = (int)value;
        }
        return result;
    }

    /// <summary>Copies an F32 tensor into <paramref name="destination"/>, whose length must equal
    /// <see cref="ElementCount"/>. Any other dtype throws: no conversion happens here.</summary>
    public void CopyTo(Span<float> destination)
    {
        if (DType != SafeTensorsDType.F32) throw WrongDType("CopyTo(Span<float>)", "F32");
        CheckLength(destination.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(_bytes).CopyTo(destination);
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = BinaryPrimitives.ReadSingleLittleEndian(_bytes.AsSpan(i * 4));
        }
    }

    /// <summary>Copies an F64 tensor into <paramref name="destination"/>, whose length must equal
    /// <see cref="ElementCount"/>. Any other dtype throws: no conversion happens here.</summary>
    public void CopyTo(Span<double> destination)
    {
        if (DType != SafeTensorsDType.F64) throw WrongDType("CopyTo(Span<double>)", "F64");
        CheckLength(destination.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, double>(_bytes).CopyTo(destination);
        }
        else
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(_bytes.AsSpan(i * 8));
        }
    }

    public override string ToString() => $"{Name}: {SafeTensorsDTypes.ToName(DType)} {ShapeText}";

    private void CheckLength(int destinationLength)
    {
        if (destinationLength != ElementCount)
            throw new ArgumentException(
                $"{Source}: tensor '{Name}' {ShapeText} has {ElementCount} elements, but the destination has {destinationLength}",
                "destination");
    }

    private SafeTensorsException WrongDType(string operation, string expected) =>
        SafeTensorsException.For(Source,
            $"tensor '{Name}' has dtype {SafeTensorsDTypes.ToName(DType)}, but {operation} needs {expected}");
}
