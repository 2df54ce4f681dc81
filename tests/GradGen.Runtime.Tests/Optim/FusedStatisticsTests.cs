using System.Numerics;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>A sampled step's update (<see cref="Optimizer{T}.StepWithSums"/>): every optimizer adds up Σg², Σw² and
/// Σ(Δw)² per tensor inside its update pass. The update must be bit for bit the plain <see cref="Optimizer{T}.Step"/>,
/// and every tensor's sums must equal a direct computation in double on the parameters before and after. These tests
/// run at the widest width here, and again at 256, 128 bits and without SIMD in <see cref="VectorWidthTests"/>'s children.</summary>
public class FusedStatisticsTests
{
    // Tensors of one element, a vector tail, exactly one chunk, several chunks with a tail, and a small one after a large one.
    private static readonly int[] TensorLengths = [1, 37, FusedUpdate.ChunkLength, 3 * FusedUpdate.ChunkLength + 5, 3];

    internal static ParameterInfo[] Tile(params int[] lengths)
    {
        var tensors = new ParameterInfo[lengths.Length];
        for (int t = 0, offset = 0; t < lengths.Length; offset += lengths[t], t++)
            tensors[t] = new ParameterInfo($"{t}.weight", [lengths[t]], offset, lengths[t]);
        return tensors;
    }

    internal static UpdateSums DirectSums<T>(ReadOnlySpan<T> before, ReadOnlySpan<T> after, ReadOnlySpan<T> gradients)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = default(UpdateSums);
        for (int i = 0; i < before.Length; i++)
        {
            double w = double.CreateTruncating(before[i]), d = double.CreateTruncating(after[i]) - w, g = double.CreateTruncating(gradients[i]);
            sums.Add(g * g, w * w, d * d);
        }
        return sums;
    }

    internal static void AssertClose(UpdateSums expected, UpdateSums actual, double tol, string what)
    {
        foreach (var (name, e, a) in new[] { ("Σg²", expected.Gradients, actual.Gradients), ("Σw²", expected.Weights, actual.Weights), ("Σ(Δw)²", expected.Updates, actual.Updates) })
        {
            Assert.True(e > 0, $"{what} {name}: a zero sum would make the comparison vacuous");
            Assert.True(Math.Abs(e - a) <= tol * e, $"{what} {name}: expected {e:R}, got {a:R}");
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Kinds), MemberType = typeof(OptimizerTests))]
    public void SumsEqualADirectComputationAndTheUpdateIsThePlainOne(string kind)
    {
        foreach (bool vectorize in new[] { true, false })
        {
            Check<double>(kind, vectorize, 1e-12);
            Check<float>(kind, vectorize, 1e-5);
        }
    }

    private static void Check<T>(string kind, bool vectorize, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tensors = Tile(TensorLengths);
        int n = TensorLengths.Sum();
        var rng = new Rng(11);
        T[] plain = Numeric.Convert<T>(Numeric.RandomArray(ref rng, n)), fused = (T[])plain.Clone();
        Optimizer<T> a = OptimizerTests.Create<T>(kind, n), b = OptimizerTests.Create<T>(kind, n);
        a.Vectorize = b.Vectorize = vectorize;
        var sums = new UpdateSums[tensors.Length];
        for (int step = 0; step < 3; step++)
        {
            T[] grad = Numeric.Convert<T>(Numeric.RandomArray(ref rng, n));
            T[] before = (T[])fused.Clone();
            a.Step(plain, grad);
            b.StepWithSums(fused, grad, tensors, sums);
            Assert.Equal(plain, fused);
            Assert.Equal(a.StepCount, b.StepCount);
            foreach (var t in tensors)
            {
                var expected = DirectSums<T>(before.AsSpan(t.Offset, t.Length), fused.AsSpan(t.Offset, t.Length), grad.AsSpan(t.Offset, t.Length));
                AssertClose(expected, sums[Array.IndexOf(tensors, t)], tol, $"{kind} {typeof(T).Name} vectorize={vectorize} step {step} {t}");
            }
        }
    }

    /// <summary>An optimizer written outside GradGen has no fused pass: the base class copies the parameters first.</summary>
    private sealed class HalfStep(int n) : Optimizer<double>(n, 0.5)
    {
        protected override void Update(Span<double> parameters, ReadOnlySpan<double> gradients, double learningRate, int step)
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i] * step;
        }

        protected override void ResetState() { }
    }

    [Fact]
    public void AnOptimizerWithoutAFusedPassGetsTheSameSums()
    {
        var tensors = Tile(TensorLengths);
        int n = TensorLengths.Sum();
        var rng = new Rng(12);
        double[] p = Numeric.RandomArray(ref rng, n), g = Numeric.RandomArray(ref rng, n);
        var sums = new UpdateSums[tensors.Length];
        for (int step = 1; step <= 2; step++)
        {
            double[] before = (double[])p.Clone();
            new HalfStep(n).StepWithSums(p, g, tensors, sums);
            for (int t = 0; t < tensors.Length; t++)
            {
                var (o, l) = (tensors[t].Offset, tensors[t].Length);
                AssertClose(DirectSums<double>(before.AsSpan(o, l), p.AsSpan(o, l), g.AsSpan(o, l)), sums[t], 1e-12, tensors[t].ToString());
            }
        }
    }

    [Fact]
    public void TensorsThatDoNotTileTheParametersAreRejectedBeforeAnyUpdate()
    {
        var sgd = new Sgd<double>(10, 0.1);
        double[] p = new double[10], g = new double[10];
        g.AsSpan().Fill(1);
        var gap = new[] { new ParameterInfo("a", [4], 0, 4), new ParameterInfo("b", [5], 5, 5) };
        var ex = Assert.Throws<ArgumentException>(() => sgd.StepWithSums(p, g, gap, new UpdateSums[2]));
        Assert.Contains("starts at 5, not 4", ex.Message);
        var shortTable = Tile(4, 5);
        ex = Assert.Throws<ArgumentException>(() => sgd.StepWithSums(p, g, shortTable, new UpdateSums[2]));
        Assert.Contains("cover 9 of the optimizer's 10", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => sgd.StepWithSums(p, g, Tile(4, 6), new UpdateSums[1]));
        Assert.Contains("2 tensors need as many sums, but got 1", ex.Message);
        Assert.Equal(0, sgd.StepCount);
        Assert.All(p, x => Assert.Equal(0, x));
    }

    [Theory]
    [MemberData(nameof(OptimizerTests.Kinds), MemberType = typeof(OptimizerTests))]
    public void StepWithSumsAllocatesNothing(string kind)
    {
        var tensors = Tile(TensorLengths);
        int n = TensorLengths.Sum();
        float[] p = new float[n], g = new float[n];
        g.AsSpan().Fill(0.25f);
        var sums = new UpdateSums[tensors.Length];
        Optimizer<float> optimizer = OptimizerTests.Create<float>(kind, n);
        optimizer.StepWithSums(p, g, tensors, sums); // warm-up: JIT, first-step branch
        optimizer.StepWithSums(p, g, tensors, sums);
        Assert.Equal(0, OptimizerTests.LeastAllocatedInAWindow(() => optimizer.StepWithSums(p, g, tensors, sums)));
    }
}

/// <summary>A tensor large enough to be split over threads: the update, sampled or not, is the same bits for every
/// thread count, and the sums (added per thread, then across threads) agree with one thread's to double rounding.</summary>
[Collection(nameof(Kernels.ParallelismTests))] // MaxThreads is process-wide
public class FusedStatisticsThreadTests
{
    [Theory]
    [MemberData(nameof(OptimizerTests.Kinds), MemberType = typeof(OptimizerTests))]
    public void EveryThreadCountGivesTheSameUpdateAndSums(string kind)
    {
        var tensors = FusedStatisticsTests.Tile(5, 40 * FusedUpdate.ChunkLength + 3, 7);
        int n = tensors.Sum(t => t.Length);
        var rng = new Rng(13);
        float[] start = Numeric.Convert<float>(Numeric.RandomArray(ref rng, n)), g = Numeric.Convert<float>(Numeric.RandomArray(ref rng, n));
        float[]? single = null;
        UpdateSums[]? singleSums = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                float[] p = (float[])start.Clone();
                var sums = new UpdateSums[tensors.Length];
                OptimizerTests.Create<float>(kind, n).StepWithSums(p, g, tensors, sums);
                // The unsampled step's own thread split (FusedUpdate.RunPlain) gives the same bits as the sampled one.
                float[] plain = (float[])start.Clone();
                OptimizerTests.Create<float>(kind, n).Step(plain, g);
                Assert.Equal(p, plain);
                if (single is null)
                {
                    (single, singleSums) = (p, sums);
                    continue;
                }
                Assert.Equal(single, p);
                for (int t = 0; t < tensors.Length; t++) FusedStatisticsTests.AssertClose(singleSums![t], sums[t], 1e-12, $"{kind} {threads} threads {tensors[t]}");
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }
}
