namespace GradGen;

/// <summary>An element-wise nonlinearity applied after a layer.</summary>
public enum Activation
{
    /// <summary>f(z) = z.</summary>
    Identity,
    /// <summary>f(z) = 1 / (1 + e^-z); f' ≤ 0.25.</summary>
    Sigmoid,
    /// <summary>f(z) = tanh z.</summary>
    Tanh,
    /// <summary>f(z) = max(0, z).</summary>
    ReLU,
    /// <summary>f(z) = z for z &gt; 0, slope·z otherwise (slope set on the layer, default 0.01).</summary>
    LeakyReLU,
    /// <summary>Exact GELU: z·Φ(z), with Φ computed from erf.</summary>
    GELU,
    /// <summary>GELU's tanh approximation, PyTorch's <c>approximate="tanh"</c>.</summary>
    GELUTanh,
    /// <summary>f(z) = z·σ(z), also called Swish.</summary>
    SiLU,
    /// <summary>f(z) = log(1 + e^z) (beta 1, PyTorch's threshold 20).</summary>
    Softplus,
    /// <summary>f(z) = z for z &gt; 0, alpha·(e^z − 1) otherwise (alpha set on the layer, default 1).</summary>
    ELU,
}

/// <summary>The training loss, always reduced by the mean as PyTorch's default <c>reduction="mean"</c>.</summary>
public enum Loss
{
    /// <summary>No loss: the network can run forward but cannot compute gradients.</summary>
    None,
    /// <summary><c>nn.MSELoss</c>: mean over batch and outputs of (output − target)².</summary>
    MeanSquaredError,
    /// <summary><c>nn.CrossEntropyLoss</c> on logits with class-index targets.</summary>
    SoftmaxCrossEntropy,
    /// <summary><c>nn.BCEWithLogitsLoss</c>: sigmoid and binary cross-entropy fused, targets in [0, 1].</summary>
    BinaryCrossEntropyWithLogits,
}

/// <summary>How a weight or bias tensor is initialised. Defaults reproduce PyTorch's <c>nn.Linear</c>.</summary>
public enum Init
{
    /// <summary>PyTorch's default for Linear: weight and bias uniform in ±1/√fan_in.</summary>
    Default,
    /// <summary>Glorot uniform: U(±gain·√(6/(fan_in+fan_out))).</summary>
    XavierUniform,
    /// <summary>Glorot normal: N(0, gain·√(2/(fan_in+fan_out))).</summary>
    XavierNormal,
    /// <summary>He uniform (fan_in mode): U(±gain·√(3/fan_in)).</summary>
    KaimingUniform,
    /// <summary>He normal (fan_in mode): N(0, gain/√fan_in).</summary>
    KaimingNormal,
    /// <summary>N(mean, std).</summary>
    Normal,
    /// <summary>U(low, high).</summary>
    Uniform,
    /// <summary>Every element equal to a value.</summary>
    Constant,
    /// <summary>Every element zero.</summary>
    Zeros,
    /// <summary>A (semi-)orthogonal matrix scaled by gain, as <c>nn.init.orthogonal_</c>.</summary>
    Orthogonal,
}

/// <summary>What the generator compiles into a network's passes for watching it train (see docs/instrumentation.md).
/// Set it on <see cref="NetworkAttribute.Instrumentation"/>, or for a whole project with the MSBuild property
/// <c>&lt;GradGenInstrumentation&gt;All&lt;/GradGenInstrumentation&gt;</c>. With <see cref="None"/> the generated
/// code has nothing extra in it.</summary>
[Flags]
public enum Instrumentation
{
    /// <summary>Nothing: the passes compute the network and nothing else.</summary>
    None = 0,
    /// <summary>Per-layer activation and gradient statistics, computed in each layer's own method while its values
    /// are in cache, on the steps the <see cref="Monitoring.NetworkMonitor"/> samples; per-parameter norms.</summary>
    Statistics = 1,
    /// <summary>A NaN or ±∞ in a forward or backward pass is traced to the first layer that produced it, named with its
    /// parameters and the attribute (file and line) that declared it, before any weight changes.</summary>
    AnomalyDetection = 2,
    /// <summary>Both.</summary>
    All = Statistics | AnomalyDetection,
}
