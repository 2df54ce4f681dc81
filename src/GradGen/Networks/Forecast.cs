using System.Globalization;

namespace GradGen;

/// <summary>The analyzers' forecast for one weight matrix at initialisation, as the generator computed it from the
/// declaration (the GG1xxx rules judge the same numbers): <see cref="GradientScale"/> is the forecast ‖∂L/∂W‖ relative
/// to the last weight matrix's, <see cref="ActivationScale"/> the forecast RMS of the layer's output relative to the
/// input's (inputs N(0, 1), MSE targets N(0, 1), batch 64).</summary>
public sealed record LayerForecast(string Parameter, double GradientScale, double ActivationScale);

/// <summary>The forecast of a whole network at initialisation: <see cref="GradientRatio"/> = ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖
/// and <see cref="ActivationRatio"/> = ‖output‖ / ‖input‖ over a batch, with every weight matrix's forecast in
/// <see cref="Layers"/>, input side first. docs/analyzers-vs-measurement.md compares them with measurements.</summary>
public sealed record NetworkForecast(double GradientRatio, double ActivationRatio, IReadOnlyList<LayerForecast> Layers)
{
    /// <summary>What generated code calls: <paramref name="data"/> holds pairs of numbers separated by ';', first the
    /// network's gradient and activation ratios, then one pair per weight matrix (a parameter of rank 2) of
    /// <paramref name="parameters"/>, in order.</summary>
    public static NetworkForecast FromData(IReadOnlyList<ParameterInfo> parameters, string data)
    {
        var weights = parameters.Where(p => p.Shape.Length == 2).ToList();
        var pairs = data.Split(';');
        if (pairs.Length != weights.Count + 1)
            throw new ArgumentException($"The forecast data has {pairs.Length - 1} layer entries for {weights.Count} weight matrices.", nameof(data));
        var layers = new LayerForecast[weights.Count];
        for (int i = 0; i < layers.Length; i++)
        {
            var (gradient, activation) = Pair(pairs[i + 1]);
            layers[i] = new LayerForecast(weights[i].Name, gradient, activation);
        }
        var (gradientRatio, activationRatio) = Pair(pairs[0]);
        return new NetworkForecast(gradientRatio, activationRatio, layers);
    }

    private static (double, double) Pair(string text)
    {
        var numbers = text.Split(' ');
        return (Parse(numbers[0]), Parse(numbers[1]));
    }

    private static double Parse(string text) => text switch
    {
        "double.PositiveInfinity" => double.PositiveInfinity,
        "double.NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
