using BenchmarkDotNet.Reports;

namespace GradGen.Benchmarks.Suite;

/// <summary>One benchmark case's result: the benchmark class and method, its parameters, the mean time and the bytes
/// allocated per operation (null when not measured).</summary>
public sealed record Measurement(string Benchmark, string Method, BenchmarkNetwork? Network, int Batch, double MeanNanoseconds,
    long? AllocatedBytes)
{
    /// <summary>The successful cases of BenchmarkDotNet's summaries.</summary>
    public static IReadOnlyList<Measurement> From(IEnumerable<Summary> summaries) =>
        summaries.SelectMany(s => s.Reports)
            .Where(r => r.Success && r.ResultStatistics != null)
            .Select(r => new Measurement(
                r.BenchmarkCase.Descriptor.Type.Name,
                r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
                r.BenchmarkCase.Parameters["Network"] as BenchmarkNetwork?,
                r.BenchmarkCase.Parameters["Batch"] is int batch ? batch : BenchmarkNetworks.StepBatch,
                r.ResultStatistics!.Mean,
                r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase)))
            .ToList();
}

/// <summary>A suite run as saved by <c>--save</c>: the machine as the suite's process saw it, when, and the results;
/// <see cref="Alternating"/>: the suite's own alternating check of Generated against HandWrittenExpert, after its benchmarks.</summary>
public sealed record SavedRun(MachineInfo Machine, DateTime TakenUtc, IReadOnlyList<Measurement> Measurements,
    IReadOnlyList<AlternatingCheck>? Alternating = null);

/// <summary>One run of /work/shared/libtorch-bench/run.sh: µs per SGD step by case name
/// (lines "name&lt;TAB&gt;µs&lt;TAB&gt;us/step …").</summary>
public sealed record LibTorchRun(string Source, IReadOnlyDictionary<string, double> MicrosecondsPerStep)
{
    public static LibTorchRun Read(string path)
    {
        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            string[] fields = line.Split('\t');
            if (fields.Length >= 3 && fields[2].StartsWith("us/step", StringComparison.Ordinal)
                && double.TryParse(fields[1], System.Globalization.CultureInfo.InvariantCulture, out double us))
                times[fields[0]] = us;
        }
        if (times.Count == 0)
            throw new InvalidDataException($"{path}: no 'name<TAB>µs<TAB>us/step' lines: is it the output of libtorch-bench/run.sh?");
        return new LibTorchRun(path, times);
    }
}
