namespace GradGen;

/// <summary>One parameter tensor of a generated network: its PyTorch-style name ("0.weight"), its shape
/// (weights are [out, in]), and where it lives in the network's flat parameter and gradient spans.</summary>
public sealed record ParameterInfo(string Name, int[] Shape, int Offset, int Length)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
