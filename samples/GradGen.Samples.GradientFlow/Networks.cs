namespace GradGen.Samples.GradientFlow;

// The networks of the article on gradient flow, one declaration each.

// The gradient-monitoring example.
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class MonitoredMlp;

// The vanishing-gradient demo: [Dense(100) → Sigmoid] × depth, then Dense(1), MSE. σ′ ≤ 0.25, so the gradient
// reaching the first layer shrinks by up to 0.25 per layer.
[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(5)] [Dense(100, Activation.Sigmoid)] [EndRepeat]
[Dense(1)]
public partial class Sigmoid5;

[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(10)] [Dense(100, Activation.Sigmoid)] [EndRepeat]
[Dense(1)]
public partial class Sigmoid10;

[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Dense(100, Activation.Sigmoid)] [EndRepeat]
[Dense(1)]
public partial class Sigmoid20;

[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(50)] [Dense(100, Activation.Sigmoid)] [EndRepeat]
[Dense(1)]
public partial class Sigmoid50;

// The exploding-gradient demo: linear layers whose weights have gain 1.5 (std 1.5/√100), so signals and gradients
// grow as 1.5^L.
[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Dense(100, Bias = false, WeightInit = Init.Normal, WeightStd = 1.5 / 10.0)] [EndRepeat]
public partial class Exploding20;

// Plain vs residual: 50 blocks of width 128, h = relu(fc2(relu(fc1(h))) + h), and the same without the skip.
[Network(128, Loss = Loss.SoftmaxCrossEntropy)]
[Repeat(50)]
    [Residual(Activation.ReLU)]
        [Dense(128, Activation.ReLU, Name = "fc1")]
        [Dense(128, Name = "fc2")]
    [EndResidual]
[EndRepeat]
[Dense(10, Name = "head")]
public partial class Residual50;

[Network(128, Loss = Loss.SoftmaxCrossEntropy)]
[Repeat(50)]
    [Dense(128, Activation.ReLU, Name = "fc1")]
    [Dense(128, Activation.ReLU, Name = "fc2")]
[EndRepeat]
[Dense(10, Name = "head")]
public partial class Plain50;

// Dense connections: initial Dense(784→32); 20 blocks, each relu(Dense(concat(all previous features) → 32)); Dense(→10).
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(32, Name = "initial")]
[DenseBlock(20, 32, Activation.ReLU, Name = "block")]
[Dense(10, Name = "final")]
public partial class DenseNet20;

// The doctor demo: a sigmoid network initialised far too small.
[Network(100, Loss = Loss.SoftmaxCrossEntropy)]
[Repeat(3)] [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)] [EndRepeat]
[Dense(10, WeightInit = Init.Normal, WeightStd = 0.01)]
public partial class DoctorDemo;

// The activation-comparison exercise: depth-30 stacks, one per activation.
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.Sigmoid)] [EndRepeat] [Dense(10)]
public partial class Depth30Sigmoid;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.Tanh)] [EndRepeat] [Dense(10)]
public partial class Depth30Tanh;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.ReLU)] [EndRepeat] [Dense(10)]
public partial class Depth30ReLU;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.LeakyReLU)] [EndRepeat] [Dense(10)]
public partial class Depth30LeakyReLU;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.GELU)] [EndRepeat] [Dense(10)]
public partial class Depth30GELU;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.SiLU)] [EndRepeat] [Dense(10)]
public partial class Depth30SiLU;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.Softplus)] [EndRepeat] [Dense(10)]
public partial class Depth30Softplus;
[Network(64, Loss = Loss.SoftmaxCrossEntropy)] [Repeat(30)] [Dense(64, Activation.ELU)] [EndRepeat] [Dense(10)]
public partial class Depth30ELU;
