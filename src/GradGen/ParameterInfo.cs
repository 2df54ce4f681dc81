namespace GradGen;

/// <summary>One parameter tensor of a generated network: its PyTorch-style name ("0.weight"), its shape
/// (weights are [out, in]), where it lives in the network's flat parameter and gradient spans, and how
/// <see cref="Initializers.Fill{T}(System.Span{T}, System.ReadOnlySpan{ParameterInfo}, ulong)"/> initialises it.</summary>
public sealed record ParameterInfo(string Name, int[] Shape, int Offset, int Length, ParameterInitializer Initializer = default)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}

/// <summary>How a parameter tensor is initialised: the arguments of
/// <see cref="Initializers.Fill{T}(System.Span{T}, Init, double, double, int, int, ref Rng)"/>.</summary>
public readonly record struct ParameterInitializer(Init Kind, double A, double B, int FanIn, int FanOut);
