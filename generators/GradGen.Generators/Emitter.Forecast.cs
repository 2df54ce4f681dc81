using System.Globalization;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Generators;

internal static partial class Emitter
{
    /// <summary>The gradient-flow forecast (Model/Forecast.cs) as static data on the generated class, so that a program
    /// can print the analyzers' claim next to what it measures. The per-layer numbers are one string, in the order of the
    /// parameter table's weight matrices, so that a [Repeat] of a thousand adds data to one line, not a thousand lines.</summary>
    private static void WriteForecast(CodeWriter w, NetworkModel model, NetworkPlan plan)
    {
        var forecast = Forecaster.Compute(model, plan);
        // first the network's two ratios, then one pair per weight matrix
        string data = Number(forecast.GradientRatio) + " " + Number(forecast.ActivationRatio) + ";"
                      + string.Join(";", forecast.Weights.Select(l => Number(l.GradientScale) + " " + Number(l.ActivationScale)));
        w.Line("// ---- The forecast the GG1xxx rules judge (docs/rules/GG1001.md): two ratios, then per weight matrix its gradient and output scale.");
        w.Line("/// <summary>Forecast ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ and ‖output‖ / ‖input‖ at initialisation, and the same per weight matrix.</summary>");
        w.Line($"public static global::GradGen.NetworkForecast Forecast {{ get; }} = global::GradGen.NetworkForecast.FromData(CreateParameterTable(), \"{data}\");");
    }

    /// <summary>Four significant digits are all a forecast has; "G4" may print 1E-05, which double.Parse reads.</summary>
    private static string Number(double value)
    {
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNaN(value)) return "double.NaN";
        string s = value.ToString("G4", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E' }) >= 0 ? s : s + ".0";
    }
}
