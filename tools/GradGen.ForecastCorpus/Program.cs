using System.Reflection;
using GradGen;
using GradGen.ForecastCorpus;

// dotnet run --project tools/GradGen.ForecastCorpus -c Release [-- --write docs/analyzers-vs-measurement.md]
// dotnet run --project tools/GradGen.ForecastCorpus -c Release -- --layers NetworkName   (per-layer forecast vs one measurement)
// dotnet run --project tools/GradGen.ForecastCorpus -c Release -- --time                 (the analyzer's time on 20 declarations)
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
if (args.Length == 1 && args[0] == "--time")
{
    // The analyzer on a file of 20 declarations (the corpus's first 20), as the IDE runs it on a keystroke.
    var times = CorpusEvaluation.TimeAnalyzer(declarations: 20, runs: 21);
    var baseline = CorpusEvaluation.TimeAnalyzer(declarations: 20, runs: 21, baseline: true);
    Console.WriteLine($"analysing a file of 20 declarations: median {times[times.Length / 2]:F1} ms, fastest {times[0]:F1} ms over {times.Length} runs (after one warm-up)");
    Console.WriteLine($"baseline, an analyzer that only binds the same attributes: median {baseline[baseline.Length / 2]:F1} ms, fastest {baseline[0]:F1} ms");
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
