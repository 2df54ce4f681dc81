using GradGen.Kernels;

namespace GradGen.Optim;

/// <summary>How a data-parallel training step whose first layer is split by its output units divides the parameters
/// among its <see cref="Parts"/> parts (Network&lt;T, TTarget&gt;.TrainStep): part p owns units [u_p, u_{p+1}) = Parallelism.Share(Units, p,
/// parts) of the first layer, that is those rows of its weight (<see cref="Units"/> × <see cref="Inputs"/>, from
/// element 0) and those elements of its bias (right after the weight, when <see cref="HasBias"/>), and share p of the
/// rest, [<see cref="FirstLayerEnd"/>, <see cref="Count"/>) (<see cref="RestShare"/>). Part p computes the gradients of its units, and the update
/// of what it owns runs on the same part, so that a first-layer weight row is read and written by one core only.</summary>
internal readonly record struct ParameterSplit(int Units, int Inputs, bool HasBias, int Count, int Parts)
{
    /// <summary>The most ranges one part owns.</summary>
    public const int MaxRanges = 3;

    /// <summary>Where the first layer's parameters end and the rest begin.</summary>
    public int FirstLayerEnd => Units * Inputs + (HasBias ? Units : 0);

    /// <summary>Part <paramref name="part"/>'s share of the rest, [<see cref="FirstLayerEnd"/>, <see cref="Count"/>), on cache
    /// lines (<see cref="Parallelism.AlignedShare"/>): the range whose gradients it reduces, and updates.</summary>
    public (int Start, int End) RestShare(int part) => Parallelism.AlignedShare(FirstLayerEnd, Count, part, Parts);

    /// <summary>Writes part <paramref name="part"/>'s ranges [start, end) into <paramref name="ranges"/> (at least
    /// <see cref="MaxRanges"/> long) and returns how many there are.</summary>
    public int Ranges(int part, Span<(int Start, int End)> ranges)
    {
        int parts = Parts;
        var (u0, u1) = Parallelism.Share(Units, part, parts);
        int n = 0;
        ranges[n++] = (u0 * Inputs, u1 * Inputs);
        if (HasBias) ranges[n++] = (Units * Inputs + u0, Units * Inputs + u1);
        ranges[n++] = RestShare(part);
        return n;
    }
}
