using System.Numerics;
using GradGen.Kernels;
using GradGen.Optim;
using Xunit.Abstractions;

namespace GradGen.Tests;

// The MLP of the thread-scaling target with a mix of activations (GELU's vector derivative rounds differently from
// its scalar one), large enough at batch 128 that every Dense call and every whole-buffer pass splits over threads,
// and that TrainStep splits the batch (data-parallel) for 2 and 3 threads.
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.GELU)]
[Dense(64, Activation.Tanh)]
[Dense(10)]
public partial class ThreadedMlp;

// Every kind of layer a data-parallel step must carry: a residual, a dense block's concatenated columns, LayerNorm.
[Network(96, Loss = Loss.MeanSquaredError)]
[Dense(128, Activation.Tanh)]
[Residual(Activation.ReLU)]
    [Dense(128, Activation.GELU)]
    [Dense(128)]
[EndResidual]
[DenseBlock(2, 32, Activation.ReLU)]
[LayerNorm(Activation = Activation.Tanh)]
[Dense(4)]
public partial class ThreadedStructures;

// Smooth everywhere, for finite differences (a ReLU's kink between θ − h and θ + h spoils them).
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(128, Activation.Tanh)]
[Dense(10)]
public partial class ThreadedSmoothMlp;

// With statistics compiled in, big enough that unsampled steps run data-parallel.
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(256, Activation.ReLU)]
[Dense(10)]
public partial class ThreadedMonitoredMlp;

// A first layer whose backward needs its pre-activation (GELU keeps z): the data-parallel step splits it by rows.
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(128, Activation.GELU)]
[Dense(10)]
public partial class ThreadedGeluFirstMlp;

// Anomaly detection compiled in, big enough to run data-parallel.
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.AnomalyDetection)]
[Dense(128, Activation.Tanh)]
[Dense(10)]
public partial class ThreadedGuardedMlp;

// Alone, after the parallel collections: MaxThreads is process-wide, and other tests' allocation checks must not see
// the pool start on their thread.
[CollectionDefinition(nameof(ThreadCountTests), DisableParallelization = true)]
public class ThreadCountCollection;

/// <summary>Training steps of generated networks with <see cref="Parallelism.MaxThreads"/> 1, 2 and 3.
/// <para>The step's parts (ComputeGradients, ApplyUpdate) split inside each kernel: every thread count gives the same
/// bits. With PyTorchAgreementTests and FiniteDifferenceTests, which run on one thread (their networks are too small to
/// split), this carries their agreement over to every thread count.</para>
/// <para>TrainStep splits the batch's rows (data-parallel) for 2 and 3 threads here, and the first layer by its output
/// units where the generator allows it (every network here but ThreadedGeluFirstMlp and the instrumented ones): a given
/// thread count repeats its bits, agrees with one thread up to rounding, and its float64 gradient agrees with finite
/// differences.</para></summary>
[Collection(nameof(ThreadCountTests))]
public class ThreadCountTests(ITestOutputHelper output)
{
    private const int Batch = 128;

    [Fact]
    public void StepPartsGiveTheSameBitsForEveryThreadCount_Float32() => CheckSameBits<float>(seed => new ThreadedMlp(Batch, seed));

    [Fact]
    public void StepPartsGiveTheSameBitsForEveryThreadCount_Float64() => CheckSameBits<double>(seed => new ThreadedMlp.Float64(Batch, seed));

    [Fact]
    public void DataParallelStepsRepeatTheirBitsAndAgreeWithOneThread_Float32()
        => CheckDataParallel<float, int>(seed => new ThreadedMlp(Batch, seed), ClassLabels(Batch), relativeTolerance: 1e-5, splitsFirstLayer: true);

    [Fact]
    public void DataParallelStepsRepeatTheirBitsAndAgreeWithOneThread_Float64()
        => CheckDataParallel<double, int>(seed => new ThreadedMlp.Float64(Batch, seed), ClassLabels(Batch), relativeTolerance: 1e-13, splitsFirstLayer: true);

    // Adam's update divides by √v, so a gradient that is tiny and differs by rounding moves its parameter by a fraction
    // of the learning rate: the parameters after three steps agree to about 1e-13 of their largest, not 1e-15.
    [Fact]
    public void DataParallelAdamStepsRepeatTheirBitsAndAgreeWithOneThread_Float64()
        => CheckDataParallel<double, int>(seed => new ThreadedMlp.Float64(Batch, seed), ClassLabels(Batch), relativeTolerance: 1e-11, splitsFirstLayer: true,
            optimizer: count => new AdamW<double>(count, 1e-3, weightDecay: 0.01));

    [Fact]
    public void DataParallelStepsOfResidualDenseBlockAndLayerNormAgreeWithOneThread()
        => CheckDataParallel<double, double>(seed => new ThreadedStructures.Float64(Batch, seed), Normal<double>(Batch * 4, 5), relativeTolerance: 1e-13, splitsFirstLayer: true);

    [Fact]
    public void DataParallelStepsWhoseFirstLayerKeepsZSplitRowsAndAgreeWithOneThread()
        => CheckDataParallel<double, int>(seed => new ThreadedGeluFirstMlp.Float64(Batch, seed), ClassLabels(Batch), relativeTolerance: 1e-13, splitsFirstLayer: false);

    [Fact]
    public void DataParallelStepOfAnOddBatchAgreesWithOneThread()
    {
        // 101 rows: slices of 50 and 51 (two threads), 33, 34 and 34 (three), so the slices' shares of the batch differ.
        const int batch = 101;
        double[] input = Normal<double>(batch * 784, 11);
        int[] labels = ClassLabels(batch);
        try
        {
            var gradients = new double[4][];
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                var network = new ThreadedMlp.Float64(Batch, 7);
                network.TrainStep(input, labels, new Sgd<double>(network.ParameterCount, 0));
                Assert.Equal((threads, threads > 1), (network.LastStepSlices, network.LastStepSplitFirstLayer));
                gradients[threads] = network.Gradients.ToArray();
            }
            foreach (int threads in new[] { 2, 3 })
            {
                double difference = RelativeDifference(gradients[1], gradients[threads]);
                output.WriteLine($"batch {batch}, {threads} threads against 1: gradients differ by {difference:E2} of their largest");
                Assert.True(difference < 1e-13, $"{threads} threads' gradients differ from one thread's by {difference:E2} of their largest");
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void DataParallelStepsClipTheReducedGradient()
    {
        double[] input = Normal<double>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        try
        {
            var results = new (double Norm, double[] Gradients, double[] Parameters)[2];
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxThreads = threads;
                var network = new ThreadedMlp.Float64(Batch, 7) { Clipping = new Optim.ClipByNorm<double>(0.05) };
                network.TrainStep(input, labels, new Sgd<double>(network.ParameterCount, 0.05));
                Assert.Equal(threads, network.LastStepSlices);
                results[threads - 1] = (network.GradientNormBeforeClipping, network.Gradients.ToArray(), network.Parameters.ToArray());
            }
            // The norm is the whole batch's gradient's (a slice's alone would differ by far more than rounding), the
            // clipping acted, and what it left is the one-thread step's.
            Assert.True(results[0].Norm > 0.1, $"the norm {results[0].Norm} is too small for ClipByNorm(0.05) to act");
            Assert.Equal(results[0].Norm, results[1].Norm, 1e-12 * results[0].Norm);
            Assert.True(RelativeDifference(results[0].Gradients, results[1].Gradients) < 1e-13);
            Assert.True(RelativeDifference(results[0].Parameters, results[1].Parameters) < 1e-13);
            double clippedNorm = Math.Sqrt(results[1].Gradients.Sum(g => g * g));
            Assert.Equal(0.05, clippedNorm, 1e-6);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void DataParallelGradientAgreesWithFiniteDifferences_Float64()
    {
        var network = new ThreadedSmoothMlp.Float64(Batch, 7);
        double[] input = Normal<double>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        try
        {
            Parallelism.MaxThreads = 2;
            // Learning rate 0: the step leaves the parameters where they are, and its reduced gradient in Gradients.
            network.TrainStep(input, labels, new Sgd<double>(network.ParameterCount, 0));
            Assert.Equal(2, network.LastStepSlices);
            double[] gradient = network.Gradients.ToArray();
            Parallelism.MaxThreads = 1;
            var rng = new Rng(3);
            double worst = 0;
            for (int trial = 0; trial < 24; trial++)
            {
                // Half the probes in the first layer's weights, half anywhere.
                int i = trial % 2 == 0 ? rng.NextInt(784 * 128) : rng.NextInt(network.ParameterCount);
                // Richardson's extrapolation of two central differences, as FiniteDifferenceTests: error O(h⁴), and its tolerance.
                double numeric = (4 * CentralDifference(network, input, labels, i, 0.5e-4) - CentralDifference(network, input, labels, i, 1e-4)) / 3;
                double error = Math.Abs(numeric - gradient[i]);
                worst = Math.Max(worst, error / (1e-9 + 1e-6 * Math.Abs(numeric)));
                Assert.True(error <= 1e-9 + 1e-6 * Math.Abs(numeric), $"parameter {i}: two threads give {gradient[i]:E6}, central differences {numeric:E6}");
            }
            output.WriteLine($"worst difference from central differences over 24 parameters: {worst:F3} of the tolerance 1e-9 + 1e-6·|numeric|");
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Theory]
    [InlineData(3)]    // in the first slice
    [InlineData(100)]  // in the second
    public void NonFiniteGradientInOneSliceIsRefusedBeforeTheWeightsChange(int row)
    {
        var network = new ThreadedMlp(Batch, 7);
        float[] input = Normal<float>(Batch * 784, 11);
        input[row * 784 + 5] = float.NaN;
        float[] before = network.Parameters.ToArray();
        var sgd = new Sgd<float>(network.ParameterCount, 0.05, momentum: 0.9);
        try
        {
            Parallelism.MaxThreads = 2;
            Assert.Throws<NonFiniteGradientException>(() => network.TrainStep(input, ClassLabels(Batch), sgd));
            Assert.Equal(2, network.LastStepSlices);
            Assert.Equal(before, network.Parameters.ToArray());
            Assert.Equal(0, sgd.StepCount);
            // And the network trains on afterwards.
            input[row * 784 + 5] = 0;
            network.TrainStep(input, ClassLabels(Batch), sgd);
            Assert.Equal(1, sgd.StepCount);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void AnomaliesInTheSecondSliceAreReportedOnTheCallerBeforeTheWeightsChange()
    {
        var network = new ThreadedGuardedMlp(Batch, 7);
        float[] input = Normal<float>(Batch * 784, 11);
        float[] before = network.Parameters.ToArray();
        var sgd = new Sgd<float>(network.ParameterCount, 0.05);
        try
        {
            Parallelism.MaxThreads = 2;
            // NaN in row 100's input: the replica's forward finds it, at row 100 − 64 of the second slice.
            input[100 * 784 + 5] = float.NaN;
            var forward = Assert.Throws<Monitoring.AnomalyException>(() => network.TrainStep(input, ClassLabels(Batch), sgd));
            Assert.Equal(2, network.LastStepSlices);
            Assert.Equal(("forward", "input", 100 - 64, 5), (forward.Report.Pass, forward.Report.What, forward.Report.Row, forward.Report.Column));
            // +∞ instead: tanh keeps the forward finite, and the first layer's weight gradient, x·dz, is NaN in the
            // replica's backward; the reduced gradient is refused, and the report comes from the replica.
            input[100 * 784 + 5] = float.PositiveInfinity;
            var backward = Assert.Throws<NonFiniteGradientException>(() => network.TrainStep(input, ClassLabels(Batch), sgd));
            Assert.Equal(2, network.LastStepSlices);
            Assert.Equal("0.weight", backward.Parameter);
            Assert.Equal(("backward", "gradient of 0.weight"), (backward.Anomaly!.Pass, backward.Anomaly.What));
            Assert.Equal(before, network.Parameters.ToArray());
            Assert.Equal(0, sgd.StepCount);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void SampledStepsRunOnOneNetworkAndCountEveryStepOnce()
    {
        float[] input = Normal<float>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        var single = new ThreadedMonitoredMlp(Batch, 7);
        single.TrainStep(input, labels, new Sgd<float>(single.ParameterCount, 0.05));
        var parallel = new ThreadedMonitoredMlp(Batch, 7);
        parallel.Monitor!.SampleEvery = 2;
        var sgd = new Sgd<float>(parallel.ParameterCount, 0.05);
        try
        {
            Parallelism.MaxThreads = 2;
            for (int step = 0; step < 5; step++)
            {
                parallel.TrainStep(input, labels, sgd);
                Assert.Equal(step % 2 == 0 ? 1 : 2, parallel.LastStepSlices);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
        var history = parallel.Monitor.History;
        Assert.Equal(5, parallel.Monitor.Step);
        Assert.Equal([1L, 3L, 5L], Enumerable.Range(0, history.Count).Select(history.StepAt));
        // The first step is sampled, so it ran on the whole batch on one network: the one-thread run's statistics, bit for bit.
        var expected = single.Monitor!.History;
        Assert.Equal(expected.LossAt(0), history.LossAt(0));
        Assert.Equal(expected.ActivationsAt(0).ToArray(), history.ActivationsAt(0).ToArray());
        Assert.Equal(expected.GradientsAt(0).ToArray(), history.GradientsAt(0).ToArray());
        // The parameter statistics' sums of squares are split over the threads by chunk ranges (FusedUpdate), so they may
        // differ from one thread's in their last bits (at DOTNET_EnableHWIntrinsic=0 they do, by 1e-14 relative).
        var expectedParameters = expected.ParametersAt(0).ToArray();
        var parameters = history.ParametersAt(0).ToArray();
        Assert.Equal(expectedParameters.Length, parameters.Length);
        for (int p = 0; p < parameters.Length; p++)
        {
            AssertClose(expectedParameters[p].GradientNorm, parameters[p].GradientNorm);
            AssertClose(expectedParameters[p].WeightNorm, parameters[p].WeightNorm);
            AssertClose(expectedParameters[p].UpdateRatio, parameters[p].UpdateRatio);
        }

        static void AssertClose(double expected, double actual)
            => Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected), $"{actual:R} differs from {expected:R} by more than 1e-12 relative");
    }

    [Fact]
    public void DataParallelStepKeepsTheWholeBatchOutput()
    {
        float[] input = Normal<float>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        var network = new ThreadedMlp(Batch, 7);
        var reference = new ThreadedMlp(Batch, 7);
        reference.Forward(input);
        try
        {
            Parallelism.MaxThreads = 2;
            network.TrainStep(input, labels, new Sgd<float>(network.ParameterCount, 0.05));
            Assert.Equal(2, network.LastStepSlices);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
        Assert.Equal(Batch, network.BatchSize);
        float[] expected = reference.Output.ToArray(), actual = network.Output.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
    }

    [Fact]
    public void TwoThreadStepsAllocateNothing()
    {
        var network = new ThreadedMlp(Batch, 7);
        var sgd = new Sgd<float>(network.ParameterCount, 0.05, momentum: 0.9);
        float[] input = new float[Batch * 784];
        int[] labels = new int[Batch];
        try
        {
            Parallelism.MaxThreads = 2;
            // The first steps make the replica, start the pool thread and give it its packing buffer; later steps allocate
            // nothing on the calling thread, which runs this network's slice (the replica's runs the same generated code),
            // the reduction's hand-over and the update. (Counted over the whole process, some thread allocates 168 bytes
            // in most rounds of five steps, with the kernels split inside each call too, and in some 2 ms sleeps
            // with no step at all: not the step's.)
            for (int step = 0; step < 3; step++) network.TrainStep(input, labels, sgd);
            Assert.Equal(2, network.LastStepSlices);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int step = 0; step < 5; step++) network.TrainStep(input, labels, sgd);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void ReplicasHoldNoParameterBlock()
    {
        float[] input = Normal<float>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        var network = new ThreadedMlp(Batch, 7);
        var sgd = new Sgd<float>(network.ParameterCount, 0.05);
        try
        {
            // A one-thread step first: this thread's packing buffer is then allocated, and the two-thread step's
            // allocations on this thread are its replicas.
            network.TrainStep(input, labels, sgd);
            long start = GC.GetAllocatedBytesForCurrentThread();
            _ = new ThreadedMlp(Batch / 2, 7); // a network of one slice's rows, parameters and all
            long slice = GC.GetAllocatedBytesForCurrentThread() - start;
            Parallelism.MaxThreads = 2;
            start = GC.GetAllocatedBytesForCurrentThread();
            network.TrainStep(input, labels, sgd);
            long replicas = GC.GetAllocatedBytesForCurrentThread() - start;
            Assert.Equal(2, network.LastStepSlices);
            long parameterBlock = (long)network.ParameterCount * sizeof(float);
            output.WriteLine($"two replicas: {replicas} bytes; a network of 64 rows: {slice} bytes, its parameter block {parameterBlock}");
            // Two networks of 64 rows less their parameter blocks, give or take what Initialize and the parameter table
            // allocate: halfway between that and two whole networks is the line.
            Assert.True(replicas < 2 * slice - parameterBlock, $"two replicas took {replicas} bytes, about two networks of 64 rows ({2 * slice}) with their parameters");
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    private static double CentralDifference(Network<double, int> network, double[] input, int[] labels, int i, double h)
    {
        double saved = network.Parameters[i];
        network.Parameters[i] = saved + h;
        double plus = network.Evaluate(input, labels);
        network.Parameters[i] = saved - h;
        double minus = network.Evaluate(input, labels);
        network.Parameters[i] = saved;
        return (plus - minus) / (2 * h);
    }

    /// <summary>The step's parts, which split inside each kernel: every thread count gives the same bits.</summary>
    private static void CheckSameBits<T>(Func<ulong, Network<T, int>> create) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] input = Normal<T>(Batch * 784, 11);
        int[] labels = ClassLabels(Batch);
        (T[] Losses, T[] Gradients, T[] Parameters)? single = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                var network = create(7);
                var sgd = new Sgd<T>(network.ParameterCount, 0.05, momentum: 0.9);
                var losses = new T[3];
                for (int step = 0; step < losses.Length; step++)
                {
                    network.ZeroGradients();
                    losses[step] = network.ComputeGradients(input, labels);
                    network.ApplyUpdate(sgd);
                }
                var result = (losses, network.Gradients.ToArray(), network.Parameters.ToArray());
                if (single is not { } s)
                {
                    // The steps must have trained something, or equal bits would say nothing.
                    Assert.True(T.Abs(losses[2] - losses[0]) > T.CreateTruncating(1e-4), "the loss did not move");
                    single = result;
                    continue;
                }
                Assert.Equal(s.Losses, result.losses);
                Assert.Equal(s.Gradients, result.Item2);
                Assert.Equal(s.Parameters, result.Item3);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    /// <summary>Three TrainSteps per thread count: 2 and 3 threads (data-parallel) twice each from the same start, which
    /// must give the same bits, and within <paramref name="relativeTolerance"/> of max |value| of one thread's gradients
    /// (after the first step: the same parameters) and parameters (after the third). A reduction that dropped or
    /// double-counted a slice's gradient misses by a fraction of the gradient, not by rounding.</summary>
    private void CheckDataParallel<T, TTarget>(Func<ulong, Network<T, TTarget>> create, TTarget[] targets, double relativeTolerance,
        bool splitsFirstLayer, Func<int, Optimizer<T>>? optimizer = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        optimizer ??= count => new Sgd<T>(count, 0.05, momentum: 0.9);
        var first = create(7);
        T[] input = Normal<T>(Batch * first.InputSize, 11);
        try
        {
            var one = Run(1);
            Assert.True(T.Abs(one.Losses[2] - one.Losses[0]) > T.CreateTruncating(1e-4), "the loss did not move");
            foreach (int threads in new[] { 2, 3 })
            {
                var result = Run(threads);
                var again = Run(threads);
                Assert.Equal(result.Losses, again.Losses);
                Assert.Equal(result.FirstGradients, again.FirstGradients);
                Assert.Equal(result.Parameters, again.Parameters);

                double gradientDifference = RelativeDifference(one.FirstGradients, result.FirstGradients);
                double parameterDifference = RelativeDifference(one.Parameters, result.Parameters);
                double lossDifference = double.Abs(double.CreateTruncating(one.Losses[0] - result.Losses[0]));
                output.WriteLine($"{typeof(T).Name}, {first.GetType().Name}, {threads} threads against 1: gradients after step 1 differ by " +
                    $"{gradientDifference:E2} of their largest, parameters after step 3 by {parameterDifference:E2}, the first loss by {lossDifference:E2}");
                Assert.True(gradientDifference <= relativeTolerance, $"{threads} threads' gradients differ from one thread's by {gradientDifference:E2} of their largest");
                Assert.True(parameterDifference <= relativeTolerance, $"{threads} threads' parameters differ from one thread's by {parameterDifference:E2} of their largest");
                Assert.True(lossDifference <= relativeTolerance * 10, $"{threads} threads' loss differs from one thread's by {lossDifference:E2}");
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }

        (T[] Losses, T[] FirstGradients, T[] Parameters) Run(int threads)
        {
            Parallelism.MaxThreads = threads;
            var network = create(7);
            var update = optimizer(network.ParameterCount);
            var losses = new T[3];
            T[] firstGradients = [];
            for (int step = 0; step < losses.Length; step++)
            {
                losses[step] = network.TrainStep(input, targets, update);
                Assert.Equal(threads, network.LastStepSlices);
                Assert.Equal(threads > 1 && splitsFirstLayer, network.LastStepSplitFirstLayer);
                if (step == 0) firstGradients = network.Gradients.ToArray();
            }
            return (losses, firstGradients, network.Parameters.ToArray());
        }
    }

    /// <summary>max |a − b| / max |a|.</summary>
    private static double RelativeDifference<T>(T[] a, T[] b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double largest = 0, difference = 0;
        for (int i = 0; i < a.Length; i++)
        {
            largest = Math.Max(largest, Math.Abs(double.CreateTruncating(a[i])));
            difference = Math.Max(difference, Math.Abs(double.CreateTruncating(a[i] - b[i])));
        }
        return difference / largest;
    }

    private static T[] Normal<T>(int length, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateTruncating(rng.NextNormal());
        return values;
    }

    private static int[] ClassLabels(int batch)
    {
        var rng = new Rng(13);
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(10);
        return labels;
    }
}
