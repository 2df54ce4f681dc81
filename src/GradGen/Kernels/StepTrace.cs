using System.Diagnostics;

namespace GradGen.Kernels;

/// <summary>A diagnostic of the data-parallel TrainStep whose first layer is split by units (Network_2.DataParallel.cs):
/// timestamps of its four jobs and of each part, kept per step and summarised on stderr when the process exits. Off
/// unless the environment variable <c>GRADGEN_STEP_TRACE=1</c> is set when the process starts; off, every call site is
/// behind <see cref="Enabled"/>, a static readonly field that the JIT folds to false, so it costs nothing.
/// <c>GRADGEN_STEP_TRACE_ONE_THREAD=1</c> also sends one-thread steps (Parallelism.MaxThreads = 1) of such a network
/// through the same split step with one part, so that the summary sets each phase of two threads beside the same
/// phase of one. Used by <c>--thread-scaling</c> runs (docs/benchmarks.md, s9-dp).</summary>
internal static class StepTrace
{
    internal static readonly bool Enabled = Environment.GetEnvironmentVariable("GRADGEN_STEP_TRACE") == "1";

    /// <summary>One-thread steps run the split step with one part (only with <see cref="Enabled"/>).</summary>
    internal static readonly bool OneThreadThroughSplit = Enabled && Environment.GetEnvironmentVariable("GRADGEN_STEP_TRACE_ONE_THREAD") == "1";

    // The phases, in the order the step runs them.
    internal const int FirstLayerForward = 0, Slices = 1, FirstLayerBackward = 2, Update = 3;
    private static readonly string[] s_phaseNames = ["first layer's forward", "slices after it", "first layer's backward + reduction", "update"];

    // A step's slots: 0 begin; 1 + f job f published; 5 + f job f returned; 9 end; 16 + 4f + 2p (+1) part p of job f
    // starts (ends); ReductionStart + p, UpdateFirstRangeEnd + p: inside part p (two parts are traced).
    internal const int ReductionStart = 32, UpdateFirstRangeEnd = 36;
    private const int Slots = 40, MaxSteps = 8192;
    private static long[] s_marks = [];
    private static int[] s_slices = [];
    private static bool[] s_partOnCaller = [];
    private static int s_step = -1;
    private static int s_caller;

    internal static void Begin(int slices)
    {
        if (s_step < 0)
        {
            s_marks = new long[Slots * MaxSteps];
            s_slices = new int[MaxSteps];
            s_partOnCaller = new bool[Slots * MaxSteps];
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Summarise(Console.Error);
        }
        int step = ++s_step;
        if (step >= MaxSteps) return;
        s_slices[step] = slices;
        s_caller = Environment.CurrentManagedThreadId;
        Stamp(0);
        Stamp(1 + FirstLayerForward);
    }

    internal static void JobPublished(int phase) => Stamp(1 + phase);

    /// <summary>Job <paramref name="phase"/> has returned; the next of the network's jobs is published now.</summary>
    internal static void JobReturned(int phase)
    {
        Stamp(5 + phase);
        if (phase < FirstLayerBackward) Stamp(2 + phase);
    }

    internal static void End() => Stamp(9);

    internal static void PartStarts(int phase, int part) => Mark(16 + 4 * phase + 2 * part, part);

    internal static void PartEnds(int phase, int part) => Mark(16 + 4 * phase + 2 * part + 1, part);

    /// <summary>Slot <paramref name="slot"/> + <paramref name="part"/> of parts 0 and 1 (slot alone for PartStarts/PartEnds).</summary>
    internal static void Mark(int slot, int part)
    {
        if (part > 1) return;
        if (slot >= ReductionStart) slot += part;
        int step = s_step;
        if (step < 0 || step >= MaxSteps) return;
        s_marks[step * Slots + slot] = Stopwatch.GetTimestamp();
        s_partOnCaller[step * Slots + slot] = Environment.CurrentManagedThreadId == s_caller;
    }

    private static void Stamp(int slot)
    {
        int step = s_step;
        if (step < MaxSteps) s_marks[step * Slots + slot] = Stopwatch.GetTimestamp();
    }

    /// <summary>Medians (and 90th percentiles) over the traced steps, one table per slice count.</summary>
    internal static void Summarise(TextWriter output)
    {
        int steps = Math.Min(s_step + 1, MaxSteps);
        foreach (int slices in new[] { 1, 2 })
        {
            int[] rows = Enumerable.Range(0, steps).Where(s => s_slices[s] == slices && s_marks[s * Slots + 9] != 0).ToArray();
            if (rows.Length == 0) continue;
            string Stat(Func<int, long> ticks)
            {
                double[] v = rows.Select(s => ticks(s) * 1e6 / Stopwatch.Frequency).Order().ToArray();
                return $"{v[v.Length / 2],6:F1} / {v[v.Length * 9 / 10],6:F1}";
            }
            long M(int s, int slot) => s_marks[s * Slots + slot];
            output.WriteLine($"step trace, {slices} part(s), {rows.Length} steps; µs, median / 90th percentile");
            output.WriteLine($"  step {Stat(s => M(s, 9) - M(s, 0))}; the sum of its jobs' spans {Stat(s => Enumerable.Range(0, 4).Sum(f => M(s, 5 + f) - M(s, 1 + f)))}");
            for (int f = 0; f < 4; f++)
            {
                int start = 16 + 4 * f;
                string line = $"  {s_phaseNames[f],-36} span {Stat(s => M(s, 5 + f) - M(s, 1 + f))}  part 0 {Stat(s => M(s, start + 1) - M(s, start))}";
                if (slices > 1)
                {
                    line += $"  part 1 {Stat(s => M(s, start + 3) - M(s, start + 2))}  part 1 claimed after {Stat(s => M(s, start + 2) - M(s, 1 + f))}" +
                        $"  last part's end to return {Stat(s => M(s, 5 + f) - Math.Max(M(s, start + 1), M(s, start + 3)))}" +
                        $"  caller ran part 1 in {rows.Count(s => s_partOnCaller[s * Slots + start + 2])} steps";
                }
                output.WriteLine(line);
            }
            for (int p = 0; p < Math.Min(slices, 2); p++)
            {
                output.WriteLine($"  part {p}: the rest's reduction {Stat(s => M(s, 16 + 4 * FirstLayerBackward + 2 * p + 1) - M(s, ReductionStart + p))}" +
                    $", the update's first-layer weight rows {Stat(s => M(s, UpdateFirstRangeEnd + p) - M(s, 16 + 4 * Update + 2 * p))}" +
                    $", the update's other ranges {Stat(s => M(s, 16 + 4 * Update + 2 * p + 1) - M(s, UpdateFirstRangeEnd + p))}");
            }
        }
    }
}
