// The generator's own cost on a file of declarations, in CPU time, which a machine busy with other builds changes far
// less than the wall-clock times of -p:ReportAnalyzer=true (docs/build-performance.md).
//
//   dotnet run -c Release -- <GradGen.Generators.dll> <GradGen.dll> <Networks.cs> [runs=5]
//
// Compiles Networks.cs against the runtime GradGen.dll (for the attributes) and the framework, then runs the generator
// on it `runs` times, each time in a new GeneratorDriver on a new compilation, as csc does on every build. Prints, per
// run, the process's CPU time and the driver's own elapsed time for the generator (the figure ReportAnalyzer prints).
// The first run includes loading and JIT-compiling the generator and the parts of Roslyn it drives; the later ones are
// what a compiler server, already warm, pays.
using System.Diagnostics;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: GeneratorTime <GradGen.Generators.dll> <GradGen.dll> <Networks.cs> [runs=5]");
    return 2;
}
var generatorAssembly = Assembly.LoadFrom(Path.GetFullPath(args[0]));
var generatorType = generatorAssembly.GetType("GradGen.Generators.NetworkGenerator")
    ?? throw new InvalidOperationException($"{args[0]} has no type GradGen.Generators.NetworkGenerator");
var generator = ((IIncrementalGenerator)Activator.CreateInstance(generatorType)!).AsSourceGenerator();
var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
    .Select(p => MetadataReference.CreateFromFile(p))
    .Append(MetadataReference.CreateFromFile(Path.GetFullPath(args[1])))
    .ToList();
string source = File.ReadAllText(args[2]);
int runs = args.Length > 3 ? int.Parse(args[3]) : 5;
var parseOptions = new CSharpParseOptions(LanguageVersion.Preview);

for (int run = 1; run <= runs; run++)
{
    var compilation = CSharpCompilation.Create("Networks",
        new[] { CSharpSyntaxTree.ParseText(source, parseOptions, path: Path.GetFileName(args[2])) },
        references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { generator }, parseOptions: parseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    driver = driver.RunGenerators(compilation);
    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    var result = driver.GetRunResult();
    if (result.Results[0].Exception is { } e) throw e;
    int lines = result.GeneratedTrees.Sum(t => t.GetText().Lines.Count);
    double driverSeconds = driver.GetTimingInfo().GeneratorTimes.Single().ElapsedTime.TotalSeconds;
    Console.WriteLine($"run {run}: CPU {cpuSeconds:F3} s, generator {driverSeconds:F3} s (driver's clock), {result.GeneratedTrees.Length} files, {lines} lines");
}
return 0;
