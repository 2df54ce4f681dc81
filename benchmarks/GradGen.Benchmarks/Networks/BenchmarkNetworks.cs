using GradGen.Benchmarks.HandWritten;

namespace GradGen.Benchmarks;

/// <summary>The five networks of the step benchmarks: the cases of /work/shared/libtorch-bench (the libtorch baseline).</summary>
public enum BenchmarkNetwork
{
    /// <summary>Dense 784→256→128→64→10, ReLU, cross-entropy.</summary>
    Mlp,
    /// <summary>20 × (Dense 100, sigmoid), then Dense(1), MSE.</summary>
    DeepSigmoid,
    /// <summary>50 blocks h = relu(fc2(relu(fc1(h))) + h), width 128, MSE.</summary>
    Residual,
    /// <summary>The same without the skip, MSE.</summary>
    Plain,
    /// <summary>Dense(784→32), 20 DenseNet-style layers of growth 32 with ReLU, Dense(→10), cross-entropy.</summary>
    DenseConcat,
}

/// <summary>The four ways each network is implemented.</summary>
public enum Variant
{
    /// <summary>GradGen: the declaration in Networks/Declarations.cs and the code the generator writes for it.</summary>
    Generated,
    /// <summary>The same layers on GradGen's kernels, one operation at a time (<see cref="ExpertMath"/>).</summary>
    HandWrittenExpert,
    /// <summary>The same layers with TensorPrimitives, one pass per step (<see cref="IdiomaticMath"/>).</summary>
    HandWrittenIdiomatic,
    /// <summary>The same layers in scalar loops (<see cref="NaiveMath"/>).</summary>
    Naive,
}

/// <summary>Builds the networks, their data and their FLOP counts.</summary>
public static class BenchmarkNetworks
{
    /// <summary>The training batch of the step benchmarks, as in the libtorch baseline.</summary>
    public const int StepBatch = 32;

    /// <summary>SGD's learning rate, as in the libtorch baseline.</summary>
    public const float LearningRate = 0.01f;

    /// <summary>The seed of the generated network's initialisation; the hand-written ones copy its weights.</summary>
    public const ulong WeightSeed = 1;

    /// <summary>The case's name in the libtorch baseline's output.</summary>
    public static string LibTorchName(BenchmarkNetwork network) => network switch
    {
        BenchmarkNetwork.Mlp => "mlp_784_256_128_64_10",
        BenchmarkNetwork.DeepSigmoid => "deep_sigmoid_20x100",
        BenchmarkNetwork.Residual => "residual_50x128",
        BenchmarkNetwork.Plain => "plain_50x128",
        _ => "dense_concat_20x32_784",
    };

    /// <summary>Every nn.Linear of the network as (in, out), in forward order; the first one reads the input.</summary>
    public static (int In, int Out)[] LinearShapes(BenchmarkNetwork network) => network switch
    {
        BenchmarkNetwork.Mlp => [(784, 256), (256, 128), (128, 64), (64, 10)],
        BenchmarkNetwork.DeepSigmoid => [.. Enumerable.Repeat((100, 100), 20), (100, 1)],
        BenchmarkNetwork.Residual or BenchmarkNetwork.Plain => [.. Enumerable.Repeat((128, 128), 100)],
        _ => [(784, 32), .. Enumerable.Range(1, 20).Select(l => (l * 32, 32)), (21 * 32, 10)],
    };

    /// <summary>FLOPs of the matrix products of one forward pass: 2·batch·in·out per Linear (one multiply and one add
    /// per weight and sample). Bias, activations and loss are O(batch·width) and not counted.</summary>
    public static long ForwardFlops(BenchmarkNetwork network, int batch) =>
        LinearShapes(network).Sum(s => 2L * batch * s.In * s.Out);

    /// <summary>FLOPs of the matrix products of one training step: per Linear, 2·batch·in·out forward, the same for dW
    /// and again for dx, except the first layer's dx (the gradient of the input, which no variant computes). At batch
    /// 32: MLP 33,677,312; deep sigmoid 37,779,200; residual and plain 313,524,224; dense-concat 45,789,184.</summary>
    public static long TrainStepFlops(BenchmarkNetwork network, int batch)
    {
        var shapes = LinearShapes(network);
        return 3 * ForwardFlops(network, batch) - 2L * batch * shapes[0].In * shapes[0].Out;
    }

    /// <summary>The network in the given variant, for batches up to <paramref name="maxBatch"/>, with the generated
    /// network's initial weights (seed <see cref="WeightSeed"/>).</summary>
    public static INetworkVariant Create(BenchmarkNetwork network, Variant variant, int maxBatch)
    {
        var generated = new GeneratedVariant(CreateGenerated(network, maxBatch));
        if (variant == Variant.Generated) return generated;
        INetworkVariant handWritten = variant switch
        {
            Variant.HandWrittenExpert => CreateHandWritten<ExpertMath>(network, maxBatch),
            Variant.HandWrittenIdiomatic => CreateHandWritten<IdiomaticMath>(network, maxBatch),
            _ => CreateHandWritten<NaiveMath>(network, maxBatch),
        };
        if (handWritten.Parameters.Length != generated.Parameters.Length)
            throw new InvalidOperationException($"{network} {variant} has {handWritten.Parameters.Length} parameters, the generated network {generated.Parameters.Length}");
        generated.Parameters.CopyTo(handWritten.Parameters);
        return handWritten;
    }

    /// <summary>The network in every variant, indexed by <see cref="Variant"/>, all with the same initial weights.</summary>
    public static INetworkVariant[] CreateAll(BenchmarkNetwork network, int maxBatch) =>
        Enum.GetValues<Variant>().Select(variant => Create(network, variant, maxBatch)).ToArray();

    private static Network<float> CreateGenerated(BenchmarkNetwork network, int maxBatch) => network switch
    {
        BenchmarkNetwork.Mlp => new MlpNet(maxBatch, WeightSeed),
        BenchmarkNetwork.DeepSigmoid => new DeepSigmoidNet(maxBatch, WeightSeed),
        BenchmarkNetwork.Residual => new ResidualNet(maxBatch, WeightSeed),
        BenchmarkNetwork.Plain => new PlainNet(maxBatch, WeightSeed),
        _ => new DenseConcatNet(maxBatch, WeightSeed),
    };

    private static INetworkVariant CreateHandWritten<TMath>(BenchmarkNetwork network, int maxBatch) where TMath : ILayerMath
    {
        switch (network)
        {
            case BenchmarkNetwork.Mlp:
                return new SequentialNetwork<TMath>(maxBatch, [784, 256, 128, 64, 10],
                    [Activation.ReLU, Activation.ReLU, Activation.ReLU, Activation.Identity], crossEntropy: true);
            case BenchmarkNetwork.DeepSigmoid:
                return new SequentialNetwork<TMath>(maxBatch, [.. Enumerable.Repeat(100, 21), 1],
                    [.. Enumerable.Repeat(Activation.Sigmoid, 20), Activation.Identity], crossEntropy: false);
            case BenchmarkNetwork.Residual:
                return new ResidualNetwork<TMath>(maxBatch, blocks: 50, width: 128);
            case BenchmarkNetwork.Plain:
                return new SequentialNetwork<TMath>(maxBatch, [.. Enumerable.Repeat(128, 101)],
                    [.. Enumerable.Repeat(Activation.ReLU, 100)], crossEntropy: false);
            default:
                return new DenseConcatNetwork<TMath>(maxBatch, inputs: 784, growth: 32, layers: 20, classes: 10);
        }
    }

    /// <summary>A batch for the generated MLP alone (<see cref="MlpNet"/>): inputs uniform in [0, 1), labels uniform in
    /// 0..9, drawn from <paramref name="rng"/> in that order, which the caller may go on drawing from.</summary>
    public static (float[] Input, int[] Labels) UniformMlpBatch(ref Rng rng, int batch)
    {
        var input = new float[batch * MlpNet.Inputs];
        foreach (ref float x in input.AsSpan()) x = (float)rng.NextDouble();
        var labels = new int[batch];
        foreach (ref int y in labels.AsSpan()) y = rng.NextInt(10);
        return (input, labels);
    }

    /// <summary>A batch like the libtorch baseline's: standard-normal inputs (and MSE targets), uniform class indices.</summary>
    public static StepData CreateData(BenchmarkNetwork network, int batch, ulong seed = 2)
    {
        var rng = new Rng(seed);
        var shapes = LinearShapes(network);
        int inputs = shapes[0].In, outputs = shapes[^1].Out;
        bool classifier = network is BenchmarkNetwork.Mlp or BenchmarkNetwork.DenseConcat;
        float[] Normal(int n)
        {
            var values = new float[n];
            for (int k = 0; k < n; k++) values[k] = (float)rng.NextNormal();
            return values;
        }
        float[] input = Normal(batch * inputs);
        return classifier
            ? new StepData(input, [], Enumerable.Range(0, batch).Select(_ => rng.NextInt(outputs)).ToArray())
            : new StepData(input, Normal(batch * outputs), []);
    }
}
