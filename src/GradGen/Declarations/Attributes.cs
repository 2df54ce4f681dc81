namespace GradGen;

// The declaration language. A network is a partial class whose attributes, read top to bottom, are its layers:
//
//     [Network(784, Loss = Loss.SoftmaxCrossEntropy)]
//     [Dense(256, Activation.ReLU)]
//     [Dense(128, Activation.ReLU)]
//     [Dense(10)]
//     public partial class Classifier;
//
// Blocks open with an attribute and close with its End attribute: [Repeat(n)] … [EndRepeat],
// [Residual] … [EndResidual]. The generator reads these attributes at build time; at run time they are inert.

/// <summary>Marks a partial class as a network with <paramref name="inputs"/> input features.
/// The attributes that follow it on the class are its layers, in forward order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute(int inputs) : Attribute
{
    /// <summary>Input features per sample.</summary>
    public int Inputs { get; } = inputs;

    /// <summary>The training loss. <see cref="GradGen.Loss.None"/> makes an inference-only network.</summary>
    public Loss Loss { get; set; } = Loss.None;

    /// <summary>Declares a network that is only run forward, so that it needs no loss.</summary>
    public bool InferenceOnly { get; set; }

    /// <summary>What to compile into the passes for watching training. When not set here, the project's
    /// <c>GradGenInstrumentation</c> MSBuild property decides (default: none).</summary>
    public Instrumentation Instrumentation { get; set; }
}

/// <summary>What layers with a weight matrix and a bias share: how those are initialised. The defaults reproduce
/// PyTorch's <c>nn.Linear</c> (weight and bias uniform in ±1/√fan_in).</summary>
public abstract class LinearLayerAttribute : Attribute
{
    // Internal: only GradGen's own layers derive from it, and the generator reads them by name.
    private protected LinearLayerAttribute() { }

    /// <summary>How the weight is initialised.</summary>
    public Init WeightInit { get; set; } = Init.Default;
    /// <summary>Standard deviation for <see cref="Init.Normal"/>.</summary>
    public double WeightStd { get; set; } = 1.0;
    /// <summary>Mean for <see cref="Init.Normal"/>.</summary>
    public double WeightMean { get; set; }
    /// <summary>Lower bound for <see cref="Init.Uniform"/>.</summary>
    public double WeightLow { get; set; }
    /// <summary>Upper bound for <see cref="Init.Uniform"/>.</summary>
    public double WeightHigh { get; set; } = 1.0;
    /// <summary>Value for <see cref="Init.Constant"/>.</summary>
    public double WeightValue { get; set; }
    /// <summary>Gain for Xavier, Kaiming and Orthogonal. NaN (the default) means: Xavier and Orthogonal use 1,
    /// Kaiming uses <c>nn.init.calculate_gain</c> of the layer's own activation.</summary>
    public double WeightGain { get; set; } = double.NaN;

    /// <summary>How the bias is initialised.</summary>
    public Init BiasInit { get; set; } = Init.Default;
    /// <summary>Standard deviation for <see cref="Init.Normal"/>.</summary>
    public double BiasStd { get; set; } = 1.0;
    /// <summary>Mean for <see cref="Init.Normal"/>.</summary>
    public double BiasMean { get; set; }
    /// <summary>Lower bound for <see cref="Init.Uniform"/>.</summary>
    public double BiasLow { get; set; }
    /// <summary>Upper bound for <see cref="Init.Uniform"/>.</summary>
    public double BiasHigh { get; set; } = 1.0;
    /// <summary>Value for <see cref="Init.Constant"/>.</summary>
    public double BiasValue { get; set; }
}

/// <summary>A fully connected layer, PyTorch's <c>nn.Linear</c> followed by an optional activation:
/// a = act(x·Wᵀ + b), with W stored [out, in].</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units, Activation activation = Activation.Identity) : LinearLayerAttribute
{
    /// <summary>Output features.</summary>
    public int Units { get; } = units;

    /// <summary>The activation applied to the layer's output.</summary>
    public Activation Activation { get; } = activation;

    /// <summary>The parameter name prefix ("&lt;name&gt;.weight"). Unnamed layers are numbered in forward order.</summary>
    public string? Name { get; set; }

    /// <summary>Whether the layer has a bias (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Negative slope of <see cref="Activation.LeakyReLU"/> (PyTorch's default 0.01).</summary>
    public double Slope { get; set; } = 0.01;

    /// <summary>Alpha of <see cref="Activation.ELU"/> (PyTorch's default 1).</summary>
    public double Alpha { get; set; } = 1.0;
}

/// <summary>Layer normalisation over the features, PyTorch's <c>nn.LayerNorm(width, eps)</c> with a learned
/// scale ("&lt;name&gt;.weight", ones) and shift ("&lt;name&gt;.bias", zeros), then an optional activation.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>The parameter name prefix. Unnamed layers are numbered in forward order.</summary>
    public string? Name { get; set; }
    /// <summary>Added to the variance (PyTorch's default 1e-5).</summary>
    public double Epsilon { get; set; } = 1e-5;
    /// <summary>An activation applied after the normalisation.</summary>
    public Activation Activation { get; set; } = Activation.Identity;
    /// <summary>Negative slope of <see cref="Activation.LeakyReLU"/>.</summary>
    public double Slope { get; set; } = 0.01;
    /// <summary>Alpha of <see cref="Activation.ELU"/>.</summary>
    public double Alpha { get; set; } = 1.0;
}

/// <summary>A parameter-free activation layer.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ActivateAttribute(Activation activation) : Attribute
{
    /// <summary>The activation.</summary>
    public Activation Activation { get; } = activation;
    /// <summary>Negative slope of <see cref="Activation.LeakyReLU"/>.</summary>
    public double Slope { get; set; } = 0.01;
    /// <summary>Alpha of <see cref="Activation.ELU"/>.</summary>
    public double Alpha { get; set; } = 1.0;
}

/// <summary>Repeats the layers up to the matching <see cref="EndRepeatAttribute"/> <paramref name="count"/> times.
/// A named layer inside is named "&lt;i&gt;.&lt;name&gt;" in repetition i.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RepeatAttribute(int count) : Attribute
{
    /// <summary>How many times the body is repeated.</summary>
    public int Count { get; } = count;
}

/// <summary>Closes the innermost <see cref="RepeatAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EndRepeatAttribute : Attribute;

/// <summary>A residual block: h = act(body(h) + h). The body runs up to the matching
/// <see cref="EndResidualAttribute"/> and must end at the width it started with.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ResidualAttribute(Activation after = Activation.Identity) : Attribute
{
    /// <summary>The activation applied after the skip-add.</summary>
    public Activation After { get; } = after;
    /// <summary>Negative slope of <see cref="Activation.LeakyReLU"/>.</summary>
    public double Slope { get; set; } = 0.01;
    /// <summary>Alpha of <see cref="Activation.ELU"/>.</summary>
    public double Alpha { get; set; } = 1.0;
}

/// <summary>Closes the innermost <see cref="ResidualAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EndResidualAttribute : Attribute;

/// <summary>A DenseNet-style block: <paramref name="layers"/> Dense layers of <paramref name="growth"/> units,
/// each reading the concatenation of the block's input and every earlier layer's output. The block's output
/// is that whole concatenation (input width + layers·growth). Layer i is named "&lt;Name&gt;&lt;i&gt;".</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseBlockAttribute(int layers, int growth, Activation activation = Activation.ReLU) : LinearLayerAttribute
{
    /// <summary>Dense layers in the block.</summary>
    public int Layers { get; } = layers;
    /// <summary>Output features of each layer.</summary>
    public int Growth { get; } = growth;
    /// <summary>The activation after each layer.</summary>
    public Activation Activation { get; } = activation;
    /// <summary>The prefix of the layers' names (default "block": block0, block1, …).</summary>
    public string Name { get; set; } = "block";
    /// <summary>Negative slope of <see cref="Activation.LeakyReLU"/>.</summary>
    public double Slope { get; set; } = 0.01;
    /// <summary>Alpha of <see cref="Activation.ELU"/>.</summary>
    public double Alpha { get; set; } = 1.0;
}
