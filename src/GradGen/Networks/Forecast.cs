namespace GradGen;

/// <summary>The analyzers' forecast for one weight matrix at initialisation, as the generator computed it from the
/// declaration (the GG1xxx rules judge the same numbers): <see cref="GradientScale"/> is the forecast ‖∂L/∂W‖ relative
/// to the last weight matrix's, <see cref="ActivationScale"/> the forecast RMS of the layer's output relative to the
/// input's (inputs N(0, 1), MSE targets N(0, 1), batch 64).</summary>
public sealed record LayerForecast(string Parameter, double GradientScale, double ActivationScale);

/// <summary>The forecast of a whole network at initialisation: <see cref="GradientRatio"/> = ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖
/// and <see cref="ActivationRatio"/> = ‖output‖ / ‖input‖ over a batch, with every weight matrix's forecast in
/// <see cref="Layers"/>, input side first. docs/analyzers-vs-measurement.md compares them with measurements.</summary>
public sealed record NetworkForecast(double GradientRatio, double ActivationRatio, IReadOnlyList<LayerForecast> Layers);
