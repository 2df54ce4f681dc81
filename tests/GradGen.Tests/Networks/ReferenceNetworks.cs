namespace GradGen.Tests.Networks;

// The networks of ../Reference/*.safetensors, declared as a user would. Each file's `spec` metadata says what
// PyTorch built; the comment above each declaration quotes it.

// mlp_relu_ce: "Dense stack 20-16-16-5; activation relu after every Dense but the last; loss cross_entropy"
[Network(20, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(16, Activation.ReLU)]
[Dense(16, Activation.ReLU)]
[Dense(5)]
public partial class MlpReluCe;

// deep_sigmoid_mse: "Dense stack 8-8-8-8-8-8-8-8-8-8-8-1; activation sigmoid after every Dense but the last; loss mse"
[Network(8, Loss = Loss.MeanSquaredError)]
[Repeat(10)]
    [Dense(8, Activation.Sigmoid)]
[EndRepeat]
[Dense(1)]
public partial class DeepSigmoidMse;

// act_<name>: "Dense stack 6-7-7-3; activation <name> after every Dense but the last; loss mse"
[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.Sigmoid)] [EndRepeat]
[Dense(3)]
public partial class ActSigmoid;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.Tanh)] [EndRepeat]
[Dense(3)]
public partial class ActTanh;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.ReLU)] [EndRepeat]
[Dense(3)]
public partial class ActRelu;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.LeakyReLU, Slope = 0.01)] [EndRepeat]
[Dense(3)]
public partial class ActLeakyRelu;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.GELU)] [EndRepeat]
[Dense(3)]
public partial class ActGelu;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.GELUTanh)] [EndRepeat]
[Dense(3)]
public partial class ActGeluTanh;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.SiLU)] [EndRepeat]
[Dense(3)]
public partial class ActSilu;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.Softplus)] [EndRepeat]
[Dense(3)]
public partial class ActSoftplus;

[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(2)] [Dense(7, Activation.ELU, Alpha = 1.0)] [EndRepeat]
[Dense(3)]
public partial class ActElu;

// bce_logits_tanh: "Dense stack 5-4-2; activation tanh after every Dense but the last; loss bce_with_logits"
[Network(5, Loss = Loss.BinaryCrossEntropyWithLogits)]
[Dense(4, Activation.Tanh)]
[Dense(2)]
public partial class BceLogitsTanh;

// deep_linear_nobias: "Dense stack 6-6-6-6-6-6; activation identity; bias=False; loss mse"
[Network(6, Loss = Loss.MeanSquaredError)]
[Repeat(5)]
    [Dense(6, Bias = false, WeightInit = Init.Normal, WeightStd = 1.5 / 2.449489742783178)] // std 1.5/√6
[EndRepeat]
public partial class DeepLinearNoBias;

// residual_mse: "4 residual blocks of width 8: h = relu(fc2(relu(fc1(h))) + h); parameters named <block>.fc1 / <block>.fc2"
[Network(8, Loss = Loss.MeanSquaredError)]
[Repeat(4)]
    [Residual(Activation.ReLU)]
        [Dense(8, Activation.ReLU, Name = "fc1")]
        [Dense(8, Name = "fc2")]
    [EndResidual]
[EndRepeat]
public partial class ResidualMse;

// dense_concat_ce: "initial Dense(12->4) without activation; 3 blocks each relu(Dense(concat(all previous features))->4);
// final Dense(concat->3); loss cross_entropy"
[Network(12, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(4, Name = "initial")]
[DenseBlock(3, 4, Activation.ReLU, Name = "block")]
[Dense(3, Name = "final")]
public partial class DenseConcatCe;

// layernorm_mse: "Dense(6->8) [params 0] -> LayerNorm(8, eps=1e-5, affine) [params norm] -> relu -> Dense(8->2) [params 1]"
[Network(6, Loss = Loss.MeanSquaredError)]
[Dense(8)]
[LayerNorm(Name = "norm", Epsilon = 1e-5)]
[Activate(Activation.ReLU)]
[Dense(2)]
public partial class LayerNormMse;

// optim_*: "Dense(4->6) -> relu -> Dense(->3); loss cross_entropy"
[Network(4, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(6, Activation.ReLU)]
[Dense(3)]
public partial class OptimMlp;

// clip_mlp: "Dense(5->7) -> tanh -> Dense(7->3); loss mse"
[Network(5, Loss = Loss.MeanSquaredError)]
[Dense(7, Activation.Tanh)]
[Dense(3)]
public partial class ClipMlp;

// hessian_linear_ce: "Dense(10->5); loss cross_entropy (mean) over batch 50"
[Network(10, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(5)]
public partial class HessianLinearCe;

// Not a reference file: a network of about 2,000 parameters (24-40-20-5, 1,925) for checking Lanczos against the full
// Hessian (HessianTests).
[Network(24, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(40, Activation.Tanh)]
[Dense(20, Activation.Tanh)]
[Dense(5)]
public partial class CurvatureMlp;
