#:project GradGen.Benchmarks/GradGen.Benchmarks.csproj
// Interleaved, CPU-timed measurement of instrumentation overhead (see InstrumentationOverheadInterleaved).
// Usage: dotnet run -c Release benchmarks/instrumentation-overhead.cs [rounds] [parts] [128] [dashboard]   (Linux; results in docs/instrumentation-overhead.md)
// Batch 32 runs `rounds` rounds (default 300). "parts" also times the parts of a sampled step at batch 32; "128" also
// runs batch 128, with a third as many rounds (its steps take about 3.5 times as long). "dashboard" runs only what the
// sample's --log and --dashboard add on the training thread (batch 128, Adam, a third as many rounds; issue 13). -c Release matters: without it
// the referenced GradGen and the networks are built in Debug, many times slower.
int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
InstrumentationOverheadInterleaved.PrintMachine("start");
bool dashboardOnly = args.Contains("dashboard");
if (!dashboardOnly) InstrumentationOverheadInterleaved.Run(32, rounds);
if (args.Contains("parts")) InstrumentationOverheadInterleaved.Parts(32, rounds);
if (args.Contains("128")) InstrumentationOverheadInterleaved.Run(128, Math.Max(30, rounds / 3));
// "dashboard" (alone): the FashionMnist sample's --log/--dashboard settings (batch 128, Adam, every 10th step into a feed).
if (dashboardOnly) InstrumentationOverheadInterleaved.Dashboard(128, Math.Max(30, rounds / 3), Path.Combine(Path.GetTempPath(), "gradgen-overhead.jsonl"));
InstrumentationOverheadInterleaved.PrintMachine("end");
