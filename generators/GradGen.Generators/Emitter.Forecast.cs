using System.Globalization;
using GradGen.Generators.Model;

namespace GradGen.Generators;

internal static partial class Emitter
{
    /// <summary>The gradient-flow forecast (Model/Forecast.cs) as static data on the generated class, so that a program
    /// can print the analyzers' claim next to what it measures.</summary>
    private static void WriteForecast(CodeWriter w, NetworkModel model, NetworkPlan plan)
    {
        var forecast = Forecaster.Compute(model, plan);
        w.Line("// ---- The gradient-flow forecast at initialisation that the GG1xxx rules judge (see docs/rules/GG1001.md).");
        w.Line("/// <summary>Forecast ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ and ‖output‖ / ‖input‖ at initialisation, and per weight matrix its");
        w.Line("/// gradient norm relative to the last one's and its output's RMS relative to the input's.</summary>");
        w.Line($"public static global::GradGen.NetworkForecast Forecast {{ get; }} = new({Number(forecast.GradientRatio)}, {Number(forecast.ActivationRatio)}, new global::GradGen.LayerForecast[]");
        w.Line("{");
        foreach (var layer in forecast.Weights)
            w.Line($"    new(\"{layer.Name}\", {Number(layer.GradientScale)}, {Number(layer.ActivationScale)}),");
        w.Line("});");
    }

    /// <summary>Four significant digits are all a forecast has; "G4" may print 1E-05, a valid C# literal.</summary>
    private static string Number(double value)
    {
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNaN(value)) return "double.NaN";
        string s = value.ToString("G4", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E' }) >= 0 ? s : s + ".0";
    }
}
