using System.Globalization;
using System.Text;

namespace GradGen.Benchmarks.Suite;

/// <summary>The markdown tables of docs/benchmarks.md from one suite run.</summary>
public static class ResultTables
{
    private static readonly Variant[] HandWritten = [Variant.HandWrittenExpert, Variant.HandWrittenIdiomatic, Variant.Naive];

    /// <param name="libtorch">libtorch's runs as it runs by default (its widest code).</param>
    /// <param name="libtorchAtWidth">libtorch's runs held to this process's vector width (benchmarks/run.sh sets
    /// MKL_ENABLE_INSTRUCTIONS, ONEDNN_MAX_CPU_ISA and ATEN_CPU_CAPABILITY): what a machine with only that width gives it.</param>
    public static string Write(SavedRun run, IReadOnlyList<LibTorchRun> libtorch, IReadOnlyList<LibTorchRun>? libtorchAtWidth = null)
    {
        libtorchAtWidth ??= [];
        var (machine, results) = (run.Machine, run.Measurements);
        var md = new StringBuilder();
        string widths = machine.AcceleratedWidths.Length > 0 ? string.Join(", ", machine.AcceleratedWidths) : "none";
        md.AppendLine(Invariant($"CPU: {machine.CpuModel}, family {machine.CpuFamily} ({machine.Architecture}); accelerated vector widths: {widths} bits"));
        md.AppendLine(Invariant($"(DOTNET_PreferredVectorBitWidth={machine.PreferredVectorBitWidth}, DOTNET_EnableHWIntrinsic={machine.EnableHWIntrinsic}); {run.TakenUtc:yyyy-MM-dd HH:mm} UTC."));
        md.AppendLine();

        // Peak.
        var peaks = new Dictionary<int, double>();
        md.AppendLine("| FMA peak, fp32, one core | GFLOP/s |");
        md.AppendLine("| --- | --- |");
        foreach (int bits in new[] { 512, 256, 128 })
        {
            var m = results.FirstOrDefault(r => r.Benchmark == nameof(PeakFmaBenchmark) && r.Method == $"Vector{bits}Float");
            if (m is null) continue;
            double gflops = PeakFmaBenchmark.Flops(bits) / m.MeanNanoseconds;
            bool accelerated = machine.AcceleratedWidths.Contains(bits);
            if (accelerated) peaks[bits] = gflops;
            md.AppendLine(Invariant($"| Vector{bits} | {gflops:F1}{(accelerated ? "" : " (not accelerated in this process)")} |"));
        }
        double? peak = peaks.TryGetValue(machine.Width, out double p) ? p : null;
        md.AppendLine();

        // Training steps.
        string libtorchHeader = LibTorchHeader(libtorch, "libtorch") + LibTorchHeader(libtorchAtWidth, Invariant($"libtorch at {machine.Width} bits"));
        md.AppendLine(Invariant($"One SGD step, float32, batch {BenchmarkNetworks.StepBatch}, one thread. Hand-written columns: time (time / Generated's). Fraction of the Vector{machine.Width} peak. libtorch / Generated above 1: Generated is faster; the mean of libtorch's runs (against its fastest run in brackets)."));
        md.AppendLine();
        md.AppendLine("| network | MFLOP/step | Generated | GFLOP/s | of peak | HandWrittenExpert | HandWrittenIdiomatic | Naive | allocated |" + libtorchHeader);
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (libtorch.Count > 0 ? " --- | --- |" : "") + (libtorchAtWidth.Count > 0 ? " --- | --- |" : ""));
        foreach (var network in Enum.GetValues<BenchmarkNetwork>())
        {
            var step = results.Where(r => r.Benchmark == nameof(SgdStepBenchmark) && r.Network == network).ToList();
            var generated = step.FirstOrDefault(r => r.Method == nameof(Variant.Generated));
            if (generated is null) continue;
            long flops = BenchmarkNetworks.TrainStepFlops(network, BenchmarkNetworks.StepBatch);
            double gflops = flops / generated.MeanNanoseconds;
            var row = new StringBuilder(Invariant($"| {network} | {flops / 1e6:F1} | {Time(generated.MeanNanoseconds)} | {gflops:F1} | {(peak is double pk ? Percent(gflops / pk) : "–")} |"));
            foreach (var variant in HandWritten)
            {
                var m = step.FirstOrDefault(r => r.Method == variant.ToString());
                row.Append(m is null ? " – |" : Invariant($" {Time(m.MeanNanoseconds)} ({m.MeanNanoseconds / generated.MeanNanoseconds:F2}×) |"));
            }
            row.Append(Invariant($" {Bytes(step.Max(r => r.AllocatedBytes))} |"));
            row.Append(LibTorchCells(libtorch, network, generated.MeanNanoseconds));
            row.Append(LibTorchCells(libtorchAtWidth, network, generated.MeanNanoseconds));
            md.AppendLine(row.ToString());
        }
        md.AppendLine();

        // Inference.
        var forward = results.Where(r => r.Benchmark == nameof(InferenceBenchmark)).ToList();
        if (forward.Count > 0)
        {
            md.AppendLine("Forward only (inference), float32, one thread. Hand-written columns: time (time / Generated's).");
            md.AppendLine();
            md.AppendLine("| network | batch | Generated | GFLOP/s | HandWrittenExpert | HandWrittenIdiomatic | Naive | allocated |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
            foreach (var group in forward.GroupBy(r => (r.Network, r.Batch)).OrderBy(g => g.Key.Network).ThenBy(g => g.Key.Batch))
            {
                var generated = group.FirstOrDefault(r => r.Method == nameof(Variant.Generated));
                if (generated is null || group.Key.Network is not BenchmarkNetwork network) continue;
                double gflops = BenchmarkNetworks.ForwardFlops(network, group.Key.Batch) / generated.MeanNanoseconds;
                var row = new StringBuilder(Invariant($"| {network} | {group.Key.Batch} | {Time(generated.MeanNanoseconds)} | {gflops:F1} |"));
                foreach (var variant in HandWritten)
                {
                    var m = group.FirstOrDefault(r => r.Method == variant.ToString());
                    row.Append(m is null ? " – |" : Invariant($" {Time(m.MeanNanoseconds)} ({m.MeanNanoseconds / generated.MeanNanoseconds:F2}×) |"));
                }
                row.Append(Invariant($" {Bytes(group.Max(r => r.AllocatedBytes))} |"));
                md.AppendLine(row.ToString());
            }
            md.AppendLine();
        }
        // The suite's interleaved check.
        if (run.Alternating is { Count: > 0 } checks)
        {
            bool withPeak = checks.Any(c => c.PeakRounds.Length > 0);
            md.AppendLine(Invariant($"Generated against HandWrittenExpert again, in this process after the benchmarks above: {checks[0].Rounds} rounds, each round timing {(withPeak ? $"the Vector{checks[0].PeakWidth} FMA peak, then " : "")}Generated, then Expert by thread CPU time (the fastest of 15 windows of 20 ms). Times: the fastest round (the median round in brackets).{(withPeak ? " Of peak: Generated's GFLOP/s over the peak timed in the same round, the median of the rounds (their range)." : "")} Expert / Generated: the median of the rounds' ratios (the lowest round), above 1: Generated is faster. Wall: the fastest window by the wall clock."));
            md.AppendLine();
            md.AppendLine("| network | case | Generated, CPU |" + (withPeak ? " of peak |" : "") + " HandWrittenExpert, CPU | Expert / Generated, CPU | Generated, wall | HandWrittenExpert, wall | Expert / Generated, wall |");
            md.AppendLine("| --- | --- | --- |" + (withPeak ? " --- |" : "") + " --- | --- | --- | --- | --- |");
            foreach (var c in checks)
            {
                double[] ratios = c.ExpertRatios(), fractions = c.FractionsOfPeak(c.Flops);
                string ratio = ratios.Length > 0
                    ? Invariant($"{AlternateCommand.Median(ratios):F2}× ({ratios.Min():F2}×)")
                    : Invariant($"{c.Expert / c.Generated:F2}× ({c.ExpertMedian / c.GeneratedMedian:F2}×)"); // a run saved before the rounds were
                string ofPeak = !withPeak ? "" : fractions.Length > 0
                    ? Invariant($" {Percent(AlternateCommand.Median(fractions))} ({Percent(fractions.Min())}–{Percent(fractions.Max())}) |")
                    : " – |";
                md.AppendLine(Invariant($"| {c.Network} | {c.Case}, batch {c.Batch} | {Time(c.Generated * 1e3)} ({Time(c.GeneratedMedian * 1e3)}) |{ofPeak} {Time(c.Expert * 1e3)} ({Time(c.ExpertMedian * 1e3)}) | {ratio} | {Time(c.GeneratedWall * 1e3)} | {Time(c.ExpertWall * 1e3)} | {c.ExpertWall / c.GeneratedWall:F2}× |"));
            }
            md.AppendLine();
        }
        foreach (var torch in libtorch) md.AppendLine(Invariant($"libtorch run: {torch.Source}: {string.Join(", ", torch.MicrosecondsPerStep.Select(kv => $"{kv.Key} {kv.Value:F1} µs"))}"));
        foreach (var torch in libtorchAtWidth) md.AppendLine(Invariant($"libtorch run at {machine.Width} bits: {torch.Source}: {string.Join(", ", torch.MicrosecondsPerStep.Select(kv => $"{kv.Key} {kv.Value:F1} µs"))}"));
        return md.ToString();
    }

    private static string LibTorchHeader(IReadOnlyList<LibTorchRun> runs, string name) => runs.Count switch
    {
        0 => "",
        1 => Invariant($" {name} | {name} / Generated |"),
        _ => Invariant($" {name} (mean of {runs.Count} runs) | {name} / Generated |"),
    };

    // libtorch's mean time and its ratio to Generated's, with the ratio against its fastest run: on a machine whose speed
    // moves between runs, a ratio that holds against the fastest run holds beyond libtorch's own spread.
    private static string LibTorchCells(IReadOnlyList<LibTorchRun> runs, BenchmarkNetwork network, double generatedNanoseconds)
    {
        if (runs.Count == 0) return "";
        var times = runs.Select(torch => torch.MicrosecondsPerStep.TryGetValue(BenchmarkNetworks.LibTorchName(network), out double us) ? us : double.NaN).ToList();
        double mean = times.Average(), fastest = times.Min();
        return Invariant($" {Time(mean * 1e3)} | {mean * 1e3 / generatedNanoseconds:F2} ({fastest * 1e3 / generatedNanoseconds:F2}) |");
    }

    private static string Time(double nanoseconds) => nanoseconds switch
    {
        double.NaN => "–",
        >= 1e6 => Invariant($"{nanoseconds / 1e6:F2} ms"),
        >= 1e3 => Invariant($"{nanoseconds / 1e3:F1} µs"),
        _ => Invariant($"{nanoseconds:F0} ns"),
    };

    private static string Percent(double fraction) => Invariant($"{fraction * 100:F0}%");

    private static string Bytes(long? bytes) => bytes is long b ? Invariant($"{b} B") : "–";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
