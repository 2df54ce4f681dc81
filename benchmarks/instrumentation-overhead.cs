#:project GradGen.Benchmarks/GradGen.Benchmarks.csproj
// Interleaved, CPU-timed measurement of instrumentation overhead (see InstrumentationOverheadInterleaved).
// Usage: dotnet run -c Release benchmarks/instrumentation-overhead.cs [rounds] [parts] [128]   (Linux; results in docs/instrumentation-overhead.md)
// Batch 32 runs `rounds` rounds (default 300). "parts" also times the parts of a sampled step at batch 32; "128" also
// runs batch 128, with a third as many rounds (its steps take about 3.5 times as long). -c Release matters: without it
// the referenced GradGen and the networks are built in Debug, many times slower.
int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
InstrumentationOverheadInterleaved.PrintMachine("start");
InstrumentationOverheadInterleaved.Run(32, rounds);
if (args.Contains("parts")) InstrumentationOverheadInterleaved.Parts(32, rounds);
if (args.Contains("128")) InstrumentationOverheadInterleaved.Run(128, Math.Max(30, rounds / 3));
InstrumentationOverheadInterleaved.PrintMachine("end");
