using System.Reflection;
using GradGen;
using GradGen.ForecastCorpus;

// dotnet run --project tools/GradGen.ForecastCorpus -c Release [-- --write docs/analyzers-vs-measurement.md]
// dotnet run --project tools/GradGen.ForecastCorpus -c Release -- --layers NetworkName   (per-layer forecast vs one measurement)
if (args.Length == 2 && args[0] == "--layers")
{
    var type = CorpusEvaluation.Networks().Single(t => t.Name == args[1]);
    var forecast = (NetworkForecast)type.GetProperty("Forecast", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
    var measured = CorpusEvaluation.MeasureLayers(type, seed: 1);
    Console.WriteLine($"{"weight",-16} {"‖∂L/∂W‖ forecast",18} {"measured",12} {"RMS(a) forecast",16} {"measured",12}");
    foreach (var layer in forecast.Layers)
    {
        var m = measured[layer.Parameter];
        Console.WriteLine($"{layer.Parameter,-16} {layer.GradientScale,18:E2} {m.Gradient,12:E2} {layer.ActivationScale,16:E2} {m.Activation,12:E2}");
    }
    return;
}
var results = CorpusEvaluation.Evaluate();
string markdown = CorpusEvaluation.Markdown(results);
if (args.Length == 2 && args[0] == "--write")
{
    File.WriteAllText(args[1], markdown);
    Console.WriteLine($"wrote {args[1]}: {results.Count} networks");
}
else
{
    Console.Write(markdown);
}
