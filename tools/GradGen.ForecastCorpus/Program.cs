using GradGen.ForecastCorpus;

// dotnet run --project tools/GradGen.ForecastCorpus -c Release [-- --write docs/analyzers-vs-measurement.md]
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
