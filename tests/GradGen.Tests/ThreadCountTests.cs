using System.Numerics;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Tests;

// The MLP of the thread-scaling target with a mix of activations (GELU's vector derivative rounds differently from
// its scalar one), large enough at batch 128 that every Dense call and every whole-buffer pass splits over threads.
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.GELU)]
[Dense(64, Activation.Tanh)]
[Dense(10)]
public partial class ThreadedMlp;

// Alone, after the parallel collections: MaxThreads is process-wide, and other tests' allocation checks must not see
// the pool start on their thread.
[CollectionDefinition(nameof(ThreadCountTests), DisableParallelization = true)]
public class ThreadCountCollection;

/// <summary>Whole training steps of a generated network with <see cref="Parallelism.MaxThreads"/> 1, 2 and 3: every
/// thread count gives the same bits (loss, gradients, parameters after the update). With PyTorchAgreementTests and
/// FiniteDifferenceTests, which run on one thread (their networks are too small to split), this carries their
/// agreement over to every thread count.</summary>
[Collection(nameof(ThreadCountTests))]
public class ThreadCountTests
{
    private const int Batch = 128;

    [Fact]
    public void SgdStepsGiveTheSameBitsForEveryThreadCount_Float32() => Check<float>(seed => new ThreadedMlp(Batch, seed));

    [Fact]
    public void SgdStepsGiveTheSameBitsForEveryThreadCount_Float64() => Check<double>(seed => new ThreadedMlp.Float64(Batch, seed));

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
            // The first steps start the pool thread and give it its packing buffer; later steps allocate nothing.
            for (int step = 0; step < 3; step++) network.TrainStep(input, labels, sgd);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int step = 0; step < 5; step++) network.TrainStep(input, labels, sgd);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    private static void Check<T>(Func<ulong, Network<T, int>> create) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(11);
        var input = new T[Batch * 784];
        for (int i = 0; i < input.Length; i++) input[i] = T.CreateTruncating(rng.NextNormal());
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++) labels[i] = rng.NextInt(10);

        (T[] Losses, T[] Gradients, T[] Parameters)? single = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                var network = create(7);
                var sgd = new Sgd<T>(network.ParameterCount, 0.05, momentum: 0.9);
                var losses = new T[3];
                for (int step = 0; step < losses.Length; step++) losses[step] = network.TrainStep(input, labels, sgd);
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
}
