namespace GradGen.Kernels;

/// <summary>Argument checks: the SIMD kernels use raw pointers, so every span is checked against its shape first.</summary>
internal static class Guard
{
    /// <summary>Checks that <paramref name="length"/> elements hold a (rows, cols) matrix with row stride ld.</summary>
    public static void Matrix(int length, int rows, int cols, int ld, string name)
    {
        if (rows < 0 || cols < 0) ThrowNegative(name);
        if (ld < cols) ThrowStride(name, ld, cols);
        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols) ThrowLength(name, length, rows, cols, ld);
    }

    /// <summary>Like <see cref="Matrix"/>, but an empty span is accepted as "absent".</summary>
    public static void Optional(int length, int rows, int cols, int ld, string name)
    {
        if (length != 0) Matrix(length, rows, cols, ld, name);
    }

    public static void Sizes(int batch, int width)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be ≥ 0");
        if (width < 0) throw new ArgumentOutOfRangeException(nameof(width), width, "must be ≥ 0");
    }

    private static void ThrowNegative(string name) => throw new ArgumentOutOfRangeException(name, "negative dimension");

    private static void ThrowStride(string name, int ld, int cols)
        => throw new ArgumentOutOfRangeException(name, $"{name}: row stride {ld} is smaller than the width {cols}");

    private static void ThrowLength(string name, int length, int rows, int cols, int ld)
        => throw new ArgumentException(
            $"{name} holds {length} elements, but a ({rows}, {cols}) matrix with row stride {ld} needs {(long)(rows - 1) * ld + cols}", name);
}
