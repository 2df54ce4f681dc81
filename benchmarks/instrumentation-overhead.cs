#:project GradGen.Benchmarks/GradGen.Benchmarks.csproj
// Interleaved, CPU-timed measurement of instrumentation overhead (see InstrumentationOverheadInterleaved).
// Usage: dotnet run -c Release benchmarks/instrumentation-overhead.cs [rounds]   (Linux; results in docs/instrumentation-overhead.md)
// -c Release matters: without it the referenced GradGen and the networks are built in Debug, many times slower.
int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 40;
foreach (int batch in new[] { 32, 128 }) InstrumentationOverheadInterleaved.Run(batch, rounds);
