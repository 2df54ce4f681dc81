namespace GradGen.Samples.FashionMnist;

// The network, declared: 784 pixels → 256 → 128 → 64 → 10 logits, ReLU between, softmax cross-entropy.
// The generator writes the rest of this class (forward, backward, parameters) at build time.
// Initialisation is PyTorch's default for nn.Linear (Kaiming-uniform with a = √5, uniform bias).
// Instrumentation.Statistics compiles per-layer statistics into the passes, for --monitor (off otherwise: see Program.cs).
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class FashionClassifier;
