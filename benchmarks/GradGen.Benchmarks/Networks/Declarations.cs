// The five networks of the step benchmarks, declared for GradGen. Each is the network of the same name in
// /work/shared/libtorch-bench/Program.cs (the libtorch baseline), layer for layer, with PyTorch's default
// initialisation; the hand-written variants in HandWritten/ build the same layers in the same parameter order.

namespace GradGen.Benchmarks;

/// <summary>mlp_784_256_128_64_10: the main job's classifier.</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class MlpNet;

/// <summary>deep_sigmoid_20x100: 20 × (Dense 100, sigmoid), then Dense(1).</summary>
[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Dense(100, Activation.Sigmoid)] [EndRepeat]
[Dense(1)]
public partial class DeepSigmoidNet;

/// <summary>residual_50x128: 50 blocks h = relu(fc2(relu(fc1(h))) + h), width 128, no head.</summary>
[Network(128, Loss = Loss.MeanSquaredError)]
[Repeat(50)]
    [Residual(Activation.ReLU)]
        [Dense(128, Activation.ReLU, Name = "fc1")]
        [Dense(128, Name = "fc2")]
    [EndResidual]
[EndRepeat]
public partial class ResidualNet;

/// <summary>plain_50x128: the residual network without the skip, h = relu(fc2(relu(fc1(h)))).</summary>
[Network(128, Loss = Loss.MeanSquaredError)]
[Repeat(50)]
    [Dense(128, Activation.ReLU, Name = "fc1")]
    [Dense(128, Activation.ReLU, Name = "fc2")]
[EndRepeat]
public partial class PlainNet;

/// <summary>dense_concat_20x32_784: Dense(784→32), 20 DenseNet-style layers of growth 32 with ReLU, each reading the
/// concatenation of every feature before it, then Dense(672→10) on the whole concatenation.</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(32, Name = "initial")]
[DenseBlock(20, 32, Activation.ReLU, Name = "block")]
[Dense(10, Name = "final")]
public partial class DenseConcatNet;
