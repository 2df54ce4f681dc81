namespace GradGen.IO;

/// <summary>The safetensors element types that GradGen reads and writes. All are little-endian in the file.</summary>
public enum SafeTensorsDType
{
    /// <summary>32-bit IEEE float ("F32", 4 bytes).</summary>
    F32,

    /// <summary>64-bit IEEE float ("F64", 8 bytes).</summary>
    F64,

    /// <summary>64-bit signed integer ("I64", 8 bytes); PyTorch's type for class indices.</summary>
    I64,
}

internal static class SafeTensorsDTypes
{
    public static int SizeOf(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => 4,
        SafeTensorsDType.F64 => 8,
        SafeTensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static string ToName(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => "F32",
        SafeTensorsDType.F64 => "F64",
        SafeTensorsDType.I64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "F64": dtype = SafeTensorsDType.F64; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Dtypes that the safetensors format defines but GradGen does not read, so that the error can say
    /// "unsupported" rather than "unknown".</summary>
    public static bool IsKnownToFormat(string name) => name is
        "BOOL" or "U8" or "I8" or "U16" or "I16" or "F16" or "BF16" or "U32" or "I32" or "U64" or
        "F8_E5M2" or "F8_E4M3" or "F8_E8M0" or "F6_E2M3" or "F6_E3M2" or "F4" or "C64";
}
