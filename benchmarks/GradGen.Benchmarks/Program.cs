// GradGen's benchmarks.
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --filter '*SgdStep*' --job short   (BenchmarkDotNet)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --verify          (variants agree with Generated)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --suite [options] (the table of docs/benchmarks.md)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --report SAVED.json --libtorch FILE …
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --cpu-time [network…]  (thread CPU time, for a busy machine)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --hvp-cpu-time [rounds] (H·v against a step, the same way)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --profile [network…]   (the step's phases and kernels, CPU time)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --thread-scaling [batch] [rounds] (1 vs 2 threads, alternating)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --cache-lines [lines] [rounds] (a cache line between the two cores, ns)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --alternate NETWORK step|forward [rounds] (Generated vs Expert, alternating)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --drift NETWORK [rounds]  (step times as training on one batch goes on)
//   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --phases NETWORK [rounds] (does the machine's speed move: step, L3, L2, FMA peak per round)
// benchmarks/run.sh runs the suite at each vector width, with libtorch before and after, and writes the tables.
using BenchmarkDotNet.Running;
using GradGen.Benchmarks;
using GradGen.Benchmarks.Suite;

if (args.Length > 0 && args[0] == "--verify") return VerifyCommand.Run();
if (args.Length > 0 && args[0] == "--suite") return SuiteCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--report") return SuiteCommand.Report(args[1..]);
if (args.Length > 0 && args[0] == "--cpu-time") return CpuTimeCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--hvp-cpu-time") return HessianCpuTimeCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--thread-scaling") return ThreadScalingCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--cache-lines") return CacheLinesCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--profile") return ProfileCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--drift") return DriftCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--phases") return PhasesCommand.Run(args[1..]);
if (args.Length > 0 && args[0] == "--alternate") return AlternateCommand.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(SgdStepBenchmark).Assembly).Run(args);
return 0;
