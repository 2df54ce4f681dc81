namespace GradGen.Tests.Networks;

// The gradient doctor's patients (DoctorTests.cs): the article's demos, with statistics compiled in, and the same kind of
// network with less instrumentation, to check the doctor's other paths.

// The article's doctor demo: a sigmoid network initialised N(0, 0.01), far too small.
[Network(100, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Repeat(3)] [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)] [EndRepeat]
[Dense(10, WeightInit = Init.Normal, WeightStd = 0.01)]
public partial class DoctorSigmoid;

// The article's exploding demo: 20 linear layers with weights N(0, (1.5/√100)²), gain 1.5 per layer.
[Network(100, Loss = Loss.MeanSquaredError, Instrumentation = Instrumentation.Statistics)]
[Repeat(20)] [Dense(100, Bias = false, WeightInit = Init.Normal, WeightStd = 1.5 / 10.0)] [EndRepeat]
public partial class DoctorLinear20;

// The article's MLP at PyTorch's default initialisation: healthy.
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class DoctorMlp;

// A ReLU stack of depth 30 at PyTorch's default initialisation, U(±1/√n): each layer keeps √(1/6) of the gradient, so it
// vanishes; He initialisation (the doctor's quick fix) keeps it.
[Network(64, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Repeat(30)] [Dense(64, Activation.ReLU)] [EndRepeat]
[Dense(10)]
public partial class DoctorReLU30;

// A softplus stack of depth 30 at PyTorch's default initialisation: vanishing. Softplus's mean is positive, so He
// initialisation at its fitted gain (1/√E[f′(z)²], z ~ N(0, 1)) grows the pre-activations layer after layer and the
// gradient explodes instead; the batch-checked quick fixes scale the gains down.
[Network(64, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Repeat(30)] [Dense(64, Activation.Softplus)] [EndRepeat]
[Dense(10)]
public partial class DoctorSoftplus30;

// A small MLP with a ReLU and a sigmoid layer, three ways: statistics compiled in, a layer table only, and nothing.
[Network(12, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(16, Activation.ReLU)]
[Dense(16, Activation.Sigmoid)]
[Dense(4)]
public partial class DoctorSmall;

[Network(12, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.AnomalyDetection)]
[Dense(16, Activation.ReLU)]
[Dense(16, Activation.Sigmoid)]
[Dense(4)]
public partial class DoctorSmallGuarded;

[Network(12, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(16, Activation.ReLU)]
[Dense(16, Activation.Sigmoid)]
[Dense(4)]
public partial class DoctorSmallPlain;
