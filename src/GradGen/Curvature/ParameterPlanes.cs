using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GradGen.Curvature;

/// <summary>The parameters and parameter gradients of a <see cref="DualNetwork"/>'s arena as four plain planes, values
/// and tangents of each, in the precision of the products (float for a float network, double for a Float64 one).
/// <see cref="DualDense"/> reads a Dense layer's weight and bias from these planes and accumulates their gradients into
/// them, where it would otherwise split the arena's dual parameters into planes and join the gradients back at every
/// call: on the MLP those passes over 16 bytes per parameter cost more than the products themselves.</summary>
/// <remarks>
/// Which parameters the planes serve is recorded in the first product (<see cref="Recording"/>): the weights and biases
/// DualDense read from them. The arena's own parameter and gradient elements then matter only for the others (LayerNorm's
/// gain and shift, read and written by the scalar loops), and <see cref="DualNetwork"/> keeps just those up to date.
/// This relies on every parameter belonging to one layer, as in every network GradGen generates (no weight tying).
/// </remarks>
internal sealed class ParameterPlanes<TPlane> where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
{
    private readonly Dual[] _arena;
    private readonly bool[] _served;
    private (int Start, int Length)[]? _unserved;
    private readonly int _inputStart;
    private readonly TPlane[] _input;

    /// <summary>Planes for the first <paramref name="count"/> elements of <paramref name="arena"/> (the parameters) and the
    /// next <paramref name="count"/> (their gradients), with the parameters' values copied from the arena; and the loaded
    /// batch, <paramref name="inputLength"/> constants from <paramref name="inputStart"/>, which the first Dense layer reads
    /// in every product.</summary>
    public ParameterPlanes(Dual[] arena, int count, int inputStart, int inputLength)
    {
        _arena = arena;
        Count = count;
        Values = new TPlane[count];
        Tangents = new TPlane[count];
        GradientValues = new TPlane[count];
        GradientTangents = new TPlane[count];
        _served = new bool[count];
        for (int i = 0; i < count; i++) Values[i] = TPlane.CreateTruncating(arena[i].Value);
        _inputStart = inputStart;
        _input = new TPlane[inputLength];
        for (int i = 0; i < inputLength; i++) _input[i] = TPlane.CreateTruncating(arena[inputStart + i].Value);
    }

    public int Count { get; }
    public TPlane[] Values { get; }
    public TPlane[] Tangents { get; }
    public TPlane[] GradientValues { get; }
    public TPlane[] GradientTangents { get; }

    /// <summary>True until <see cref="FinishRecording"/>: the first product, which learns which parameters the planes serve.</summary>
    public bool Recording => _unserved is null;

    /// <summary>The parameter ranges the planes do not serve, whose arena elements the passes read and write; all of them
    /// while recording.</summary>
    public ReadOnlySpan<(int Start, int Length)> ArenaRanges => _unserved ?? [(0, Count)];

    /// <summary>Ends the first product: the parameters DualDense did not read from the planes become the arena's ranges.</summary>
    public void FinishRecording()
    {
        var ranges = new List<(int, int)>();
        for (int i = 0; i < Count;)
        {
            if (_served[i]) { i++; continue; }
            int start = i;
            while (i < Count && !_served[i]) i++;
            ranges.Add((start, i - start));
        }
        _unserved = [.. ranges];
    }

    /// <summary>When <paramref name="span"/> is a slice of the arena's parameters: its values and tangents as planes, and
    /// (while recording) those parameters are marked as served by the planes.</summary>
    public bool TryParameters(ReadOnlySpan<Dual> span, out Span<TPlane> values, out Span<TPlane> tangents)
    {
        values = tangents = default;
        long at = IndexInArena(span);
        if (at < 0 || at + span.Length > Count) return false;
        if (Recording) _served.AsSpan((int)at, span.Length).Fill(true);
        else if (!_served[(int)at]) return false;
        values = Values.AsSpan((int)at, span.Length);
        tangents = Tangents.AsSpan((int)at, span.Length);
        return true;
    }

    /// <summary>When <paramref name="span"/> is the gradient of parameters the planes serve (a Dense layer's dw or db, whose
    /// w or b the forward pass read from the planes): the gradient planes there, to accumulate into.</summary>
    public bool TryGradients(ReadOnlySpan<Dual> span, out Span<TPlane> values, out Span<TPlane> tangents)
    {
        values = tangents = default;
        long at = IndexInArena(span) - Count;
        if (at < 0 || at >= Count || at + span.Length > Count || !_served[(int)at] || !_served[(int)at + span.Length - 1]) return false;
        values = GradientValues.AsSpan((int)at, span.Length);
        tangents = GradientTangents.AsSpan((int)at, span.Length);
        return true;
    }

    /// <summary>When <paramref name="x"/> (rows × cols, row stride <paramref name="ld"/>) is the loaded batch, as the first
    /// layer reads it: its values as a plane (its tangents are 0).</summary>
    public bool TryInput(ReadOnlySpan<Dual> x, int ld, int rows, int cols, out Span<TPlane> values)
    {
        values = default;
        if (IndexInArena(x) != _inputStart || ld != cols || (long)rows * cols > _input.Length) return false;
        values = _input.AsSpan(0, rows * cols);
        return true;
    }

    // The index of the span's first element in the arena, or −1 when it lies outside (or is empty). Arrays do not
    // overlap, so a span starting inside the arena is a slice of it.
    private long IndexInArena(ReadOnlySpan<Dual> span)
    {
        if (span.IsEmpty) return -1;
        nint bytes = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(_arena), ref MemoryMarshal.GetReference(span));
        long index = bytes / Unsafe.SizeOf<Dual>();
        return bytes >= 0 && index < _arena.Length ? index : -1;
    }
}
