using System.Numerics;
using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

public class OptimizerTests
{
    public static TheoryData<string> Kinds => ["sgd", "sgd-momentum", "sgd-nesterov", "adam", "adam-l2", "adam-beta06", "adamw"];

    internal static Optimizer<T> Create<T>(string kind, int n) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        "sgd" => new Sgd<T>(n, 0.1),
        "sgd-momentum" => new Sgd<T>(n, 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        "sgd-nesterov" => new Sgd<T>(n, 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        "adam" => new Adam<T>(n, 1e-2),
        "adam-l2" => new Adam<T>(n, 1e-2, weightDecay: 0.1),
        "adam-beta06" => new Adam<T>(n, 1e-2, beta1: 0.4, beta2: 0.9),
        "adamw" => new AdamW<T>(n, 1e-2, weightDecay: 0.1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void VectorisedAndScalarLoopsAreBitIdentical(string kind)
    {
        foreach (int n in new[] { 0, 1, 3, 7, 8, 9, 16, 33, 1037 })
        {
            CompareLoops<double>(kind, n);
            CompareLoops<float>(kind, n);
        }
    }

    private static void CompareLoops<T>(string kind, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng((ulong)n + 1);
        T[] vectorised = Numeric.Convert<T>(Numeric.RandomArray(ref rng, n));
        T[] scalar = (T[])vectorised.Clone();
        Optimizer<T> a = Create<T>(kind, n), b = Create<T>(kind, n);
        b.Vectorize = false;
        for (int step = 0; step < 5; step++)
        {
            T[] grad = Numeric.Convert<T>(Numeric.RandomArray(ref rng, n));
            a.Step(vectorised, grad);
            b.Step(scalar, grad);
            Assert.Equal(scalar, vectorised);   // bitwise (NaN-free data)
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void FloatAgreesWithDouble(string kind)
    {
        const int n = 517;
        var rng = new Rng(3);
        double[] start = Numeric.RandomFloatExact(ref rng, n);
        double[] pd = (double[])start.Clone();
        float[] pf = Numeric.Convert<float>(start);
        Optimizer<double> od = Create<double>(kind, n);
        Optimizer<float> of = Create<float>(kind, n);
        for (int step = 0; step < 5; step++)
        {
            double[] grad = Numeric.RandomFloatExact(ref rng, n);
            od.Step(pd, grad);
            of.Step(pf, Numeric.Convert<float>(grad));
        }
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(pf[i] - pd[i]) <= 1e-5 * Math.Max(1, Math.Abs(pd[i])), $"{kind} [{i}]: float {pf[i]} vs double {pd[i]}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StepAllocatesNothing(string kind)
    {
        AssertNoAllocation<double>(kind);
        AssertNoAllocation<float>(kind);
    }

    private static void AssertNoAllocation<T>(string kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int n = 1000;
        var p = new T[n];
        var g = new T[n];
        g.AsSpan().Fill(T.CreateChecked(0.25));
        Optimizer<T> optimizer = Create<T>(kind, n);
        optimizer.Schedule = new LinearWarmup(3, new CosineAnnealing(10, 1e-4));
        optimizer.Step(p, g);   // warm-up: JIT, first-step branch, static initialisation
        optimizer.Step(p, g);
        Assert.Equal(0, LeastAllocatedInAWindow(() => optimizer.Step(p, g)));
    }

    /// <summary>The bytes this thread allocated in the quietest of five windows of 20 calls. The runtime can allocate
    /// a few kB on the calling thread once, while it tiers a method up (seen in about one run in ten); a call that
    /// allocates would allocate in every window.</summary>
    internal static long LeastAllocatedInAWindow(Action call)
    {
        long least = long.MaxValue;
        for (int window = 0; window < 5; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++) call();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResetGivesTheSameTrajectoryAsAFreshOptimizer(string kind)
    {
        const int n = 41;
        var rng = new Rng(8);
        double[] start = Numeric.RandomArray(ref rng, n);
        double[][] grads = [Numeric.RandomArray(ref rng, n), Numeric.RandomArray(ref rng, n), Numeric.RandomArray(ref rng, n)];
        Optimizer<double> optimizer = Create<double>(kind, n);

        double[] first = (double[])start.Clone();
        foreach (double[] g in grads) optimizer.Step(first, g);
        Assert.Equal(3, optimizer.StepCount);
        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        double[] second = (double[])start.Clone();
        foreach (double[] g in grads) optimizer.Step(second, g);
        Assert.Equal(first, second);
    }

    [Fact]
    public void StepRejectsWrongLengthsNamingBoth()
    {
        var sgd = new Sgd<double>(5, 0.1);
        var ex = Assert.Throws<ArgumentException>(() => sgd.Step(new double[4], new double[5]));
        Assert.Contains("5", ex.Message);
        Assert.Contains("parameters.Length = 4", ex.Message);
        Assert.Contains("gradients.Length = 5", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => sgd.Step(new double[5], new double[6]));
        Assert.Contains("gradients.Length = 6", ex.Message);
        Assert.Equal(0, sgd.StepCount);
    }

    [Fact]
    public void FirstUpdateUsesTheScheduleAtStepZero()
    {
        // PyTorch: optimizer.step() then scheduler.step(). StepLR(step_size=1, γ=0.5): the updates use 1, 0.5, 0.25.
        var sgd = new Sgd<double>(1, learningRate: 1) { Schedule = new StepDecay(1, 0.5) };
        double[] p = [0];
        Assert.Equal(1, sgd.CurrentLearningRate);
        sgd.Step(p, [1.0]);
        Assert.Equal(-1, p[0]);
        Assert.Equal(0.5, sgd.CurrentLearningRate);
        sgd.Step(p, [1.0]);
        sgd.Step(p, [1.0]);
        Assert.Equal(-1.75, p[0]);
        Assert.Equal(0.125, sgd.CurrentLearningRate);
        Assert.Equal(1, sgd.LearningRate);   // the base rate is not modified
    }

    [Fact]
    public void AdamWDecayUsesTheScheduledLearningRate()
    {
        // g = 0 gives m = v = 0 and no Adam move, so only the decay p·(1 − lr_t·wd) remains.
        var adamW = new AdamW<double>(1, learningRate: 0.1, weightDecay: 0.5) { Schedule = new StepDecay(1, 0.5) };
        double[] p = [1];
        adamW.Step(p, [0.0]);
        adamW.Step(p, [0.0]);
        Assert.Equal((1 - 0.1 * 0.5) * (1 - 0.05 * 0.5), p[0], 15);
    }

    [Fact]
    public void LearningRateIsValidated()
    {
        var adam = new Adam<float>(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = double.NaN);
        adam.LearningRate = 0.5;
        Assert.Equal(0.5, adam.CurrentLearningRate);
        Assert.Equal(3, adam.ParameterCount);
    }

    [Fact]
    public void OptimizerStateStartsOnACacheLine()
    {
        // Several sizes and element types, so that the GC's own placement (8-byte aligned) takes several residues mod
        // 64; each buffer must start on a 64-byte boundary, as the parameters and gradients do.
        for (int n = 1; n <= 257; n += 32)
        {
            var adam = new Adam<float>(n);
            var adamW = new AdamW<double>(n);
            var sgd = new Sgd<float>(n, 0.1, momentum: 0.9);
            Assert.Equal(0, AddressOf(adam.FirstMoment) % 64);
            Assert.Equal(0, AddressOf(adam.SecondMoment) % 64);
            Assert.Equal(0, AddressOf(adamW.FirstMoment) % 64);
            Assert.Equal(0, AddressOf(adamW.SecondMoment) % 64);
            Assert.Equal(0, AddressOf(sgd.MomentumBuffer) % 64);
            Assert.Equal(n, adam.FirstMoment.Length);
            Assert.Equal(n, sgd.MomentumBuffer.Length);
        }
        Assert.Equal(0, new Sgd<float>(5, 0.1).MomentumBuffer.Length); // no momentum, no buffer
    }

    // The address of the span's first element, without unsafe code: its byte offset from the null reference (the
    // buffers are pinned, so they cannot move while it is read).
    private static long AddressOf<T>(Span<T> span) =>
        System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<T>(), ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span));
}
