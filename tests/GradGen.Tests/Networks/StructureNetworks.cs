namespace GradGen.Tests.Networks;

// Declarations that exercise the structures the reference cases do not: a residual whose add cannot be fused into a
// Dense (the body ends in an activation), a residual without an activation after the add, a dense block straight
// after the input (its input must be copied into the concatenation), LayerNorm with its own activation, and a
// nested network.

[Network(6, Loss = Loss.MeanSquaredError)]
[Dense(5, Activation.Tanh)]
[Residual(Activation.SiLU)]
    [Dense(7, Activation.ELU)]
    [Dense(5, Activation.Sigmoid)]
[EndResidual]
[Residual]
    [Dense(5, Activation.GELU)]
    [Dense(5)]
[EndResidual]
[Dense(3)]
public partial class UnfusedResidual;

[Network(5, Loss = Loss.SoftmaxCrossEntropy)]
[DenseBlock(3, 2, Activation.Tanh)]
[LayerNorm(Activation = Activation.LeakyReLU, Slope = 0.2)]
[DenseBlock(2, 3, Activation.Softplus, Name = "second")]
[Dense(4, WeightInit = Init.XavierNormal)]
public partial class BlocksAfterInput;

public static partial class Container
{
    [Network(4, Loss = Loss.BinaryCrossEntropyWithLogits)]
    [Repeat(2)]
        [Residual(Activation.ReLU)]
            [LayerNorm]
            [Dense(4, Activation.GELUTanh, Name = "inner", WeightInit = Init.KaimingUniform)]
        [EndResidual]
    [EndRepeat]
    [Dense(2, Bias = false, WeightInit = Init.Orthogonal)]
    public partial class NestedNetwork;
}

// The article's monitored network: Dense 784-256-128-64-10, ReLU, softmax cross-entropy.
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class MonitoredMlp;

// nn.Sequential(nn.Linear(6, 4), Block(), Block(), nn.Linear(4, 2)) where Block has fc1: PyTorch names these
// 0.weight, 1.fc1.weight, 2.fc1.weight, 3.weight. The dense block's layers are initialised as declared.
[Network(6, Loss = Loss.MeanSquaredError)]
[Dense(4)]
[Repeat(2)]
    [Residual(Activation.ReLU)]
        [Dense(4, Name = "fc1")]
    [EndResidual]
[EndRepeat]
[DenseBlock(2, 3, Activation.Tanh, Name = "grow", WeightInit = Init.Constant, WeightValue = 0.5, BiasInit = Init.Zeros)]
[Dense(2)]
public partial class SequentialOfBlocks;
