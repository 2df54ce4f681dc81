namespace GradGen.Tests.Networks;

// Networks with instrumentation compiled in: every layer kind and view the monitor must read (a repeat's loop, a fused
// residual, a dense block's strided columns, an unfused residual add, LayerNorm), and saturating activations.

[Network(6, Loss = Loss.MeanSquaredError, Instrumentation = Instrumentation.All)]
[Dense(8, Activation.Tanh)]
[Repeat(3)]
    [Residual(Activation.ReLU)]
        [Dense(8, Activation.Sigmoid, Name = "fc1")]
        [Dense(8, Name = "fc2")]
    [EndResidual]
[EndRepeat]
[DenseBlock(2, 4, Activation.ReLU)]
[LayerNorm(Activation = Activation.Tanh)]
[Residual(Activation.SiLU)]
    [Dense(16, Activation.ELU)]
    [Activate(Activation.Sigmoid)]
[EndResidual]
[Dense(2)]
public partial class InstrumentedStructures;

// A small MLP with statistics only.
[Network(20, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(16, Activation.ReLU)]
[Dense(12, Activation.ReLU)]
[Dense(4)]
public partial class MonitoredSmallMlp;

// Anomaly detection only: no monitor.
[Network(5, Loss = Loss.MeanSquaredError, Instrumentation = Instrumentation.AnomalyDetection)]
[Dense(6, Activation.ReLU)]
[Dense(6, Activation.Sigmoid)]
[Dense(2)]
public partial class GuardedNet;
