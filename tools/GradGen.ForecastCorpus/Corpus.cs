namespace GradGen.ForecastCorpus;

// The corpus on which the gradient-flow forecast (GG1001, GG1002) is checked against measurement: the article's
// networks and variations of depth (3–50), activation (all ten), initialiser (all ten, with the default), width,
// bias, LayerNorm, residual and dense blocks. Every entry uses MSE, because the measurement feeds inputs and targets
// drawn from N(0, 1). The analyzer's warnings on these declarations are the point of the corpus, so this project keeps
// them out of the build (see the .csproj); CorpusEvaluation runs the analyzer on this file's text instead.
// Entries are added here and to Corpus.Entries below.

// ---------------------------------------------------------------- the article's networks
[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(5)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid5;
[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid10;
[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid20;
[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(50)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid50;
[Network(100, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(100, Bias = false, WeightInit = Init.Normal, WeightStd = 0.15)] [EndRepeat]
public partial class LinearGain15Depth20;
[Network(128, Loss = Loss.MeanSquaredError)]
[Repeat(50)] [Residual(Activation.ReLU)] [Dense(128, Activation.ReLU, Name = "fc1")] [Dense(128, Name = "fc2")] [EndResidual] [EndRepeat]
[Dense(10, Name = "head")]
public partial class Residual50;
[Network(128, Loss = Loss.MeanSquaredError)]
[Repeat(50)] [Dense(128, Activation.ReLU, Name = "fc1")] [Dense(128, Activation.ReLU, Name = "fc2")] [EndRepeat]
[Dense(10, Name = "head")]
public partial class Plain50;
[Network(784, Loss = Loss.MeanSquaredError)] [Dense(32, Name = "initial")] [DenseBlock(20, 32, Activation.ReLU)] [Dense(10, Name = "final")]
public partial class DenseNet20;
[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(3)] [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)] [EndRepeat]
[Dense(10, WeightInit = Init.Normal, WeightStd = 0.01)]
public partial class DoctorDemo;
[Network(784, Loss = Loss.MeanSquaredError)] [Dense(256, Activation.ReLU)] [Dense(128, Activation.ReLU)] [Dense(64, Activation.ReLU)] [Dense(10)]
public partial class FashionMlp;

// ---------------------------------------------------------------- depth 30, every activation, default initialiser
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64)] [EndRepeat] [Dense(10)]
public partial class Depth30Identity;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Sigmoid)] [EndRepeat] [Dense(10)]
public partial class Depth30Sigmoid;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh)] [EndRepeat] [Dense(10)]
public partial class Depth30Tanh;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.ReLU)] [EndRepeat] [Dense(10)]
public partial class Depth30ReLU;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.LeakyReLU)] [EndRepeat] [Dense(10)]
public partial class Depth30LeakyReLU;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.GELU)] [EndRepeat] [Dense(10)]
public partial class Depth30GELU;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.GELUTanh)] [EndRepeat] [Dense(10)]
public partial class Depth30GELUTanh;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.SiLU)] [EndRepeat] [Dense(10)]
public partial class Depth30SiLU;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Softplus)] [EndRepeat] [Dense(10)]
public partial class Depth30Softplus;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.ELU)] [EndRepeat] [Dense(10)]
public partial class Depth30ELU;

// ---------------------------------------------------------------- shallow and medium depth
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(3)] [Dense(64, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid3;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(3)] [Dense(64, Activation.ReLU)] [EndRepeat] [Dense(1)]
public partial class ReLU3;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(64, Activation.ReLU)] [EndRepeat] [Dense(1)]
public partial class ReLU10;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(64, Activation.Tanh)] [EndRepeat] [Dense(1)]
public partial class Tanh10;

// ---------------------------------------------------------------- initialisers
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(50)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat] [Dense(1)]
public partial class ReLU50KaimingNormal;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(50)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingUniform)] [EndRepeat] [Dense(1)]
public partial class ReLU50KaimingUniform;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.ReLU, WeightInit = Init.XavierNormal)] [EndRepeat] [Dense(1)]
public partial class ReLU30XavierNormal;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh, WeightInit = Init.XavierUniform)] [EndRepeat] [Dense(1)]
public partial class Tanh30XavierUniform;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh, WeightInit = Init.KaimingNormal)] [EndRepeat] [Dense(1)]
public partial class Tanh30KaimingNormal;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.Sigmoid, WeightInit = Init.KaimingNormal, WeightGain = 1.4142)] [EndRepeat] [Dense(1)]
public partial class Sigmoid20KaimingReLUGain;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.ReLU, WeightInit = Init.Normal, WeightStd = 0.05)] [EndRepeat] [Dense(1)]
public partial class ReLU20NormalSmall;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.ReLU, WeightInit = Init.Normal, WeightStd = 0.5)] [EndRepeat] [Dense(1)]
public partial class ReLU20NormalLarge;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.Tanh, WeightInit = Init.Uniform, WeightLow = -0.3, WeightHigh = 0.3)] [EndRepeat] [Dense(1)]
public partial class Tanh20Uniform;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(50)] [Dense(64, WeightInit = Init.Orthogonal)] [EndRepeat]
public partial class Linear50Orthogonal;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(40)] [Dense(64, WeightInit = Init.Orthogonal, WeightGain = 1.25)] [EndRepeat]
public partial class Linear40OrthogonalGain125;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(64, Activation.ReLU, WeightInit = Init.Constant, WeightValue = 0.02)] [EndRepeat] [Dense(1)]
public partial class ReLU10ConstantWeights;
[Network(64, Loss = Loss.MeanSquaredError)] [Dense(64, Activation.ReLU)] [Dense(64, Activation.ReLU, WeightInit = Init.Zeros)] [Dense(1)]
public partial class ZeroWeights;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.SiLU, WeightInit = Init.KaimingNormal, WeightGain = 1.7)] [EndRepeat] [Dense(1)]
public partial class SiLU20Kaiming17;

// ---------------------------------------------------------------- bias
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal, BiasInit = Init.Constant, BiasValue = -1.0)] [EndRepeat] [Dense(1)]
public partial class ReLU10NegativeBias;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh, Bias = false)] [EndRepeat] [Dense(1)]
public partial class Tanh30NoBias;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh, WeightInit = Init.XavierNormal, BiasInit = Init.Normal, BiasStd = 1.0)] [EndRepeat] [Dense(1)]
public partial class Tanh30BiasStd1;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal, BiasInit = Init.Zeros)] [EndRepeat] [Dense(1)]
public partial class ReLU20KaimingZeroBias;

// ---------------------------------------------------------------- width
[Network(16, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(16, Activation.Tanh)] [EndRepeat] [Dense(1)]
public partial class Tanh20Width16;
[Network(256, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(256, Activation.ReLU)] [EndRepeat] [Dense(1)]
public partial class ReLU20Width256;
[Network(32, Loss = Loss.MeanSquaredError)] [Dense(512, Activation.ReLU)] [Dense(512, Activation.ReLU)] [Dense(32, Activation.ReLU)] [Dense(1)]
public partial class WideBottleneck;

// ---------------------------------------------------------------- LayerNorm
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Sigmoid)] [LayerNorm] [EndRepeat] [Dense(1)]
public partial class Sigmoid30LayerNorm;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64)] [LayerNorm(Activation = Activation.ReLU)] [EndRepeat] [Dense(1)]
public partial class PreNormReLU30;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Bias = false, WeightInit = Init.Normal, WeightStd = 0.19)] [LayerNorm] [EndRepeat] [Dense(1)]
public partial class LinearGain15LayerNorm;

// ---------------------------------------------------------------- residual
[Network(64, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Residual(Activation.Sigmoid)] [Dense(64, Activation.ReLU)] [Dense(64)] [EndResidual] [EndRepeat]
[Dense(1)]
public partial class ResidualSigmoidAfterAdd20;
[Network(64, Loss = Loss.MeanSquaredError)]
[Repeat(30)] [Residual] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [Dense(64, WeightInit = Init.KaimingNormal)] [EndResidual] [EndRepeat]
[Dense(1)]
public partial class ResidualKaiming30;
[Network(64, Loss = Loss.MeanSquaredError)]
[Repeat(30)] [Residual] [LayerNorm] [Dense(64, Activation.GELU)] [Dense(64)] [EndResidual] [EndRepeat]
[Dense(1)]
public partial class PreNormResidualGELU30;
[Network(64, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Residual(Activation.Tanh)] [Dense(64, Activation.Tanh)] [EndResidual] [EndRepeat]
[Dense(1)]
public partial class ResidualTanh20;

// ---------------------------------------------------------------- dense blocks
[Network(64, Loss = Loss.MeanSquaredError)] [DenseBlock(12, 16, Activation.Sigmoid)] [Dense(1)]
public partial class DenseBlockSigmoid12;
[Network(64, Loss = Loss.MeanSquaredError)] [Dense(16, Activation.Sigmoid)] [Repeat(10)] [Dense(16, Activation.Sigmoid)] [EndRepeat] [DenseBlock(10, 16, Activation.ELU)] [Dense(1)]
public partial class SigmoidThenDenseBlock;

// ---------------------------------------------------------------- more exploding regimes
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal, WeightGain = 2.0)] [EndRepeat] [Dense(1)]
public partial class ReLU30KaimingGain2;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.Tanh, WeightInit = Init.Normal, WeightStd = 0.5)] [EndRepeat] [Dense(1)]
public partial class Tanh20Chaotic;
[Network(64, Loss = Loss.MeanSquaredError)]
[Repeat(50)] [Residual] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [Dense(64, WeightInit = Init.KaimingNormal)] [EndResidual] [EndRepeat]
[Dense(1)]
public partial class ResidualKaiming50;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.ELU, WeightInit = Init.KaimingNormal, WeightGain = 2.5)] [EndRepeat] [Dense(1)]
public partial class ELU30Gain25;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(20)] [Dense(64, Activation.LeakyReLU, WeightInit = Init.Uniform, WeightLow = -0.5, WeightHigh = 0.5)] [EndRepeat] [Dense(1)]
public partial class LeakyReLU20Uniform;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(10)] [Dense(64, Bias = false, WeightInit = Init.Normal, WeightStd = 0.1875)] [EndRepeat]
public partial class LinearGain15Depth10;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(30)] [Dense(64, Activation.Tanh, WeightInit = Init.Normal, WeightStd = 0.5)] [EndRepeat] [Dense(1)]
public partial class Tanh30Chaotic;
[Network(64, Loss = Loss.MeanSquaredError)] [Repeat(50)] [Dense(64, Bias = false, WeightInit = Init.KaimingNormal, WeightGain = 1.2)] [EndRepeat]
public partial class LinearGain12Depth50;
