#:project GradGen.Benchmarks/GradGen.Benchmarks.csproj
#:property Configuration=Release
// Interleaved, CPU-timed measurement of instrumentation overhead (see InstrumentationOverheadInterleaved).
// Usage: dotnet run benchmarks/instrumentation-overhead.cs [rounds]     (Linux; results in docs/instrumentation-overhead.md)
int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 40;
foreach (int batch in new[] { 32, 128 }) InstrumentationOverheadInterleaved.Run(batch, rounds);
