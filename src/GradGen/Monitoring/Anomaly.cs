namespace GradGen.Monitoring;

/// <summary>Where a NaN or ±∞ first appeared: the pass, the layer that produced it (or null when it was already in
/// the network's input, or in the loss's gradient), and the first bad value found.</summary>
/// <param name="Pass">"forward" or "backward".</param>
/// <param name="Layer">The first layer whose output (forward) or whose backward's result (backward) is not finite.</param>
/// <param name="What">Which value: "output", "input", "loss gradient", "gradient of 2.weight", ….</param>
/// <param name="Row">The sample (row) of the first bad value, or -1 for a parameter's gradient.</param>
/// <param name="Column">The feature (column) or element of the first bad value.</param>
/// <param name="Value">The value: NaN, +∞ or −∞.</param>
public sealed record AnomalyReport(string Pass, LayerInfo? Layer, string What, int Row, int Column, double Value)
{
    /// <inheritdoc />
    public override string ToString()
    {
        string where = Row >= 0 ? $"sample {Row}, feature {Column}" : $"element {Column}";
        if (Layer is null) return $"{Value} in the {What} ({where}) in the {Pass} pass";
        string parameters = Layer.Parameters.Length == 0 ? "" : $" ({string.Join(", ", Layer.Parameters)})";
        return $"{Value} first produced in the {Pass} pass by layer {Layer.Name}{parameters}, declared as {Layer.Declaration}: its {What} at {where}";
    }
}

/// <summary>A forward pass produced a NaN or ±∞: training stopped before the loss, the backward pass and the update, so
/// the parameters are unchanged. <see cref="Report"/> names the first layer that produced it.</summary>
public sealed class AnomalyException(AnomalyReport report)
    : Exception($"{report}. Nothing was updated. Check the input and this layer's weights; lower the learning rate or clip the gradients.")
{
    /// <summary>Where the value first appeared.</summary>
    public AnomalyReport Report { get; } = report;
}
