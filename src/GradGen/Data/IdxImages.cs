namespace GradGen.Data;

/// <summary>The contents of an IDX ubyte image file: <see cref="Count"/> images of <see cref="Rows"/> ×
/// <see cref="Columns"/> pixels, stored image after image, row-major, one byte (0–255) per pixel.</summary>
public sealed class IdxImages
{
    public IdxImages(int count, int rows, int columns, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)count * rows * columns)
            throw new ArgumentException(
                $"{count} images of {rows}×{columns} need {(long)count * rows * columns} pixels, got {pixels.LongLength}",
                nameof(pixels));
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    public int Count { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Rows × Columns.</summary>
    public int PixelsPerImage => Rows * Columns;

    /// <summary>All pixels, Count × Rows × Columns, image-major then row-major.</summary>
    public byte[] Pixels { get; }
}
