using System.Numerics;
using GradGen.IO;
using GradGen.Optim;
using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>Training on generated networks: PyTorch's optimizer steps, the NaN guard, accumulation, allocation.</summary>
public class TrainingTests
{
    public static TheoryData<string> OptimizerCases => new() { "optim_sgd", "optim_sgd_momentum", "optim_adam", "optim_adamw" };

    private static Optimizer<double> OptimizerFor(string name, int parameters) => name switch
    {
        // hyper-parameters as the case's `spec` metadata gives them
        "optim_sgd" => new Sgd<double>(parameters, learningRate: 0.1),
        "optim_sgd_momentum" => new Sgd<double>(parameters, learningRate: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0.01),
        "optim_adam" => new Adam<double>(parameters, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
        "optim_adamw" => new AdamW<double>(parameters, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void ThreeTrainStepsReproducePyTorch(string name)
    {
        var c = new ReferenceCase(name);
        Assert.Contains(name switch { "optim_sgd" => "SGD lr=0.1;", "optim_sgd_momentum" => "momentum=0.9", "optim_adam" => "Adam lr=0.01", _ => "AdamW lr=0.01" }, c.File.Metadata["spec"]);
        var network = new OptimMlp.Float64(c.BatchSize);
        network.LoadParameters(c.File, prefix: "param.");
        var optimizer = OptimizerFor(name, network.ParameterCount);
        double[] input = c.Tensor("input");
        int[] targets = c.ClassTargets;

        for (int step = 1; step <= 3; step++)
        {
            double loss = network.TrainStep(input, targets, optimizer);
            ReferenceCase.AssertClose($"{name} loss before step {step}", new[] { loss }, new[] { c.Scalar($"loss.step{step}") }, 1e-10);
            foreach (var p in network.ParameterTable)
                ReferenceCase.AssertClose($"{name} {p.Name} after step {step}", network.Parameter(p.Name), c.Tensor($"after.step{step}.{p.Name}"), 1e-10);
        }
    }

    [Fact]
    public void SeparateStepsEqualOneTrainStep_AndAccumulationAddsBatches()
    {
        var c = new ReferenceCase("optim_adam");
        double[] input = c.Tensor("input");
        int[] targets = c.ClassTargets;

        var whole = new OptimMlp.Float64(8);
        whole.LoadParameters(c.File, "param.");
        whole.TrainStep(input, targets, new Adam<double>(whole.ParameterCount, 0.01));

        // the same batch as two halves, accumulated, then averaged: the mean loss's gradient, so the same update
        var halves = new OptimMlp.Float64(8);
        halves.LoadParameters(c.File, "param.");
        halves.ZeroGradients();
        halves.ComputeGradients(input.AsSpan(0, 4 * 4), targets.AsSpan(0, 4));
        halves.ComputeGradients(input.AsSpan(4 * 4), targets.AsSpan(4));
        halves.ScaleGradients(0.5);
        halves.ApplyUpdate(new Adam<double>(halves.ParameterCount, 0.01));

        ReferenceCase.AssertClose("accumulated update", halves.Parameters, whole.Parameters, 1e-12);
        Assert.NotEqual(c.Tensor("param.0.weight"), whole.Parameter("0.weight").ToArray());
    }

    [Fact]
    public void AfterZeroGradientsTheBackwardWritesEveryGradient()
    {
        // ZeroGradients is lazy: the next backward writes each parameter's gradient instead of adding to it. Gradients
        // full of NaN before ZeroGradients must leave no trace, in a network with every kind of parameterised layer
        // (Dense, a dense block, LayerNorm, residuals), in both precisions: each gradient equals that of a network whose
        // gradients were set to zero and then added to, bit for bit.
        var rng = new Rng(5);
        double[] input = Enumerable.Range(0, 3 * InstrumentedStructures.Inputs).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double[] targets = Enumerable.Range(0, 3 * InstrumentedStructures.Outputs).Select(_ => rng.NextDouble()).ToArray();

        WrittenEqualsAdded(new InstrumentedStructures.Float64(4, seed: 2), new InstrumentedStructures.Float64(4, seed: 2), input, targets);
        WrittenEqualsAdded(new InstrumentedStructures(4, seed: 2), new InstrumentedStructures(4, seed: 2),
            input.Select(x => (float)x).ToArray(), targets.Select(x => (float)x).ToArray());

        var written = new InstrumentedStructures.Float64(4, seed: 2);
        // Read before any backward, the cleared gradients are zeros; and a second ComputeGradients still adds.
        written.Gradients.Fill(double.NaN);
        written.ZeroGradients();
        Assert.All(written.Gradient("0.weight").ToArray(), g => Assert.Equal(0.0, g));
        written.ZeroGradients();
        written.ComputeGradients(input, targets);
        double[] once = written.Gradients.ToArray();
        written.ComputeGradients(input, targets);
        // (to rounding: LayerNorm adds its dγ row by row into what the gradient already holds)
        ReferenceCase.AssertClose("two accumulated backwards", written.Gradients, once.Select(g => g + g).ToArray(), 1e-12);
    }

    // Two networks with the same weights: one's gradients full of NaN and then ZeroGradients (the backward writes them),
    // the other's set to zero (the backward adds to them). The same bits must come out, and not all zeros.
    private static void WrittenEqualsAdded<T>(Network<T, T> written, Network<T, T> added, T[] input, T[] targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        written.Gradients.Fill(T.NaN);
        written.ZeroGradients();
        added.Gradients.Clear();
        written.ComputeGradients(input, targets);
        added.ComputeGradients(input, targets);
        Assert.Equal(added.Gradients.ToArray(), written.Gradients.ToArray());
        Assert.Contains(written.Gradients.ToArray(), g => g != T.Zero);
    }

    [Fact]
    public void AGradientChangedAfterTheBackwardIsCheckedAgain()
    {
        // TrainStep skips the separate non-finite pass when the backward's kernels found every gradient finite; a
        // gradient written through Gradients (or Gradient) after the backward must still be caught before the update.
        var network = new OptimMlp.Float64(2, seed: 3);
        double[] input = { 1, 2, 3, 4, 1, 1, 1, 1 };
        int[] targets = { 0, 2 };
        var sgd = new Sgd<double>(network.ParameterCount, 0.1);
        network.ZeroGradients();
        network.ComputeGradients(input, targets);
        double[] before = network.Parameters.ToArray();
        network.Gradient("0.bias")[1] = double.PositiveInfinity;
        var error = Assert.Throws<NonFiniteGradientException>(() => network.ApplyUpdate(sgd));
        Assert.Equal("0.bias", error.Parameter);
        Assert.Equal(1, error.Index);
        Assert.Equal(before, network.Parameters.ToArray());

        network.ZeroGradients();
        network.ComputeGradients(input, targets);
        network.Gradients[^1] = double.NaN;
        Assert.Throws<NonFiniteGradientException>(() => network.ApplyUpdate(sgd));
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void NonFiniteGradientIsRefusedBeforeTheWeightsChange()
    {
        var network = new OptimMlp.Float64(2, seed: 3);
        double[] before = network.Parameters.ToArray();
        double[] input = { 1, 2, double.NaN, 4, 1, 1, 1, 1 };
        var error = Assert.Throws<NonFiniteGradientException>(() => network.TrainStep(input, new[] { 0, 2 }, new Sgd<double>(network.ParameterCount, 0.1)));
        Assert.Equal("0.weight", error.Parameter);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void TrainStepAllocatesNothing()
    {
        var network = new MonitoredMlp(maxBatch: 64, seed: 1);
        var optimizer = new Adam<float>(network.ParameterCount, 1e-3);
        var rng = new Rng(2);
        var input = new float[64 * MonitoredMlp.Inputs];
        foreach (ref float x in input.AsSpan()) x = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        network.TrainStep(input, labels, optimizer); // warm up: JIT, tiering
        network.TrainStep(input.AsSpan(0, 17 * MonitoredMlp.Inputs), labels.AsSpan(0, 17), optimizer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            network.TrainStep(input, labels, optimizer);
            network.TrainStep(input.AsSpan(0, 17 * MonitoredMlp.Inputs), labels.AsSpan(0, 17), optimizer); // a smaller batch too
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalTraining()
    {
        static float[] Train(ulong seed)
        {
            var network = new MonitoredMlp(32, seed);
            var optimizer = new Sgd<float>(network.ParameterCount, 0.05, momentum: 0.9);
            var rng = new Rng(seed + 100);
            var input = new float[32 * MonitoredMlp.Inputs];
            var labels = new int[32];
            for (int step = 0; step < 5; step++)
            {
                foreach (ref float x in input.AsSpan()) x = (float)rng.NextDouble();
                foreach (ref int y in labels.AsSpan()) y = rng.NextInt(10);
                network.TrainStep(input, labels, optimizer);
            }
            return network.Parameters.ToArray();
        }
        Assert.Equal(Train(7), Train(7));
        Assert.NotEqual(Train(7), Train(8));
    }

    [Fact]
    public void SafetensorsRoundTripAndMismatchesAreRefusedWhole()
    {
        var network = new MlpReluCe(4, seed: 1);
        string path = Path.Combine(Path.GetTempPath(), $"gradgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.Save(path);
            var copy = new MlpReluCe(4, seed: 2);
            Assert.NotEqual(network.Parameters.ToArray(), copy.Parameters.ToArray());
            copy.Load(path);
            Assert.Equal(network.Parameters.ToArray(), copy.Parameters.ToArray());

            // A float64 file into a float network: refused, naming the tensor, and nothing is loaded.
            var wrongType = new ReferenceCase("mlp_relu_ce").File;
            var fresh = new MlpReluCe(4, seed: 3);
            float[] before = fresh.Parameters.ToArray();
            var e = Assert.Throws<SafeTensorsException>(() => fresh.LoadParameters(wrongType, "param."));
            Assert.Contains("param.0.weight", e.Message);
            Assert.Equal(before, fresh.Parameters.ToArray());

            // An extra tensor the network has no parameter for: refused, naming it.
            var withExtra = network.ToSafeTensors();
            withExtra.Add("9.weight", new float[] { 1, 2 }, 2);
            e = Assert.Throws<SafeTensorsException>(() => fresh.LoadParameters(withExtra));
            Assert.Contains("'9.weight'", e.Message);
            Assert.Equal(before, fresh.Parameters.ToArray());

            // A file for another shape: refused, naming the tensor.
            var other = new ActRelu(2);
            var file = SafeTensorsFile.Read(path);
            e = Assert.Throws<SafeTensorsException>(() => other.LoadParameters(file));
            Assert.Contains("0.weight", e.Message);
            Assert.Contains("[16, 20]", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void InitialisationIsReproducibleAndFollowsTheDeclaration()
    {
        Assert.Equal(new MonitoredMlp(1, seed: 5).Parameters.ToArray(), new MonitoredMlp(1, seed: 5).Parameters.ToArray());
        var network = new MonitoredMlp(1, seed: 5);
        // nn.Linear's default: weight and bias uniform in ±1/√fan_in
        double bound = 1 / Math.Sqrt(784);
        Assert.All(network.Parameter("0.weight").ToArray(), w => Assert.InRange(w, -bound, bound));
        Assert.All(network.Parameter("0.bias").ToArray(), b => Assert.InRange(b, -bound, bound));
        Assert.True(network.Parameter("0.weight").ToArray().Max() > 0.9 * bound);

        // Dense(6, Bias = false, WeightInit = Init.Normal, WeightStd = 1.5/√6)
        var deep = new DeepLinearNoBias.Float64(1, seed: 9);
        Assert.Equal(5, deep.ParameterTable.Count);
        double[] w = deep.Parameters.ToArray();
        double std = Math.Sqrt(w.Select(x => x * x).Average());
        Assert.InRange(std, 1.5 / Math.Sqrt(6) * 0.75, 1.5 / Math.Sqrt(6) * 1.25); // 180 samples: ±25% is > 4 standard errors
    }

    [Fact]
    public void TheArenaStartsOnACacheLineInEveryNetwork()
    {
        // Several allocations, so that the GC's own placement (8-byte aligned) takes several residues mod 64.
        for (int i = 0; i < 8; i++)
        {
            var single = new OptimMlp(1 + i);
            var twin = new OptimMlp.Float64(1 + i);
            Assert.Equal(0, AddressOf(single.Parameters) % 64);
            Assert.Equal(0, AddressOf(twin.Parameters) % 64);
            // the layout begins there: the generated passes and Parameters see the same elements
            single.Forward(new float[(1 + i) * single.InputSize]);
            Assert.Equal(single.Parameters.Length, single.ParameterCount);
        }
    }

    // The address of the span's first element, without unsafe code: its byte offset from the null reference. The
    // arena is pinned, so it cannot move while this is read.
    private static long AddressOf<T>(Span<T> span) =>
        System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<T>(), ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span));
}
