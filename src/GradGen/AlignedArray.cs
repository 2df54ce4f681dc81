using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GradGen;

/// <summary>Arrays whose data starts on a 64-byte boundary at a known element: a network's arena and an optimizer's
/// state. A 512-bit load or store that straddles two cache lines costs more than one inside a line; an array as the GC
/// places it is only 8-byte aligned, somewhere different in each process, so a kernel sweeping it ran at a speed that
/// changed from one run to the next (Adam's update over 242,762 floats: 44–49 µs with its moments where the GC put
/// them, 42–44 µs on boundaries; benchmarks/optimizer-alignment.cs, docs/dashboard-overhead.md).</summary>
internal static class AlignedArray
{
    /// <summary>The boundary the data starts on, in bytes.</summary>
    public const int Alignment = 64;

    /// <summary>Allocates <paramref name="length"/> elements, plus one boundary's worth to pay for the offset, on the
    /// pinned object heap, so that the array never moves and the offset of its first boundary, computed once, stays
    /// valid. Returns the array and the index of its first element on a boundary.</summary>
    public static unsafe (T[] Array, int Start) Allocate<T>(long length) where T : unmanaged
    {
        int padding = Alignment / Unsafe.SizeOf<T>();
        if (length > System.Array.MaxLength - padding) throw new ArgumentOutOfRangeException(nameof(length), $"{length} elements do not fit in one array");
        var array = GC.AllocateArray<T>((int)length + padding, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        int start = (int)((Alignment - address % Alignment) % Alignment) / Unsafe.SizeOf<T>();
        return (array, start);
    }

    /// <summary><see cref="Allocate{T}"/> as one segment of <paramref name="length"/> elements (empty when it is 0).</summary>
    public static ArraySegment<T> Segment<T>(int length) where T : unmanaged
    {
        if (length == 0) return ArraySegment<T>.Empty;
        var (array, start) = Allocate<T>(length);
        return new ArraySegment<T>(array, start, length);
    }
}
