namespace GradGen.Generators.Model;

// The declaration as plain values: what the parser read from the attributes, with no ISymbol, SyntaxNode or
// Location inside, so that the incremental pipeline can compare two versions by value.
// The numeric enums mirror GradGen.Activation, GradGen.Loss and GradGen.Init in the runtime assembly; the generator
// cannot reference that assembly (it targets net10.0), so the values are kept in sync by NetworkModelEnumTests.

/// <summary>A type that contains the network class, outermost first ("class", "Outer").</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>A declared network: the class and its layer attributes in source order.</summary>
internal sealed record NetworkModel(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string Name,
    string FileName,
    int Inputs,
    LossKind Loss,
    bool InferenceOnly,
    EquatableArray<LayerModel> Layers,
    EquatableArray<Problem> Problems,
    int Instrumentation = NetworkModel.InstrumentationUnset)
{
    /// <summary><see cref="Instrumentation"/> when the declaration does not set it: the project's default applies.</summary>
    public const int InstrumentationUnset = -1;

    /// <summary>What is compiled in, as GradGen.Instrumentation flags, once the project's default is applied.</summary>
    public InstrumentationFlags InstrumentationFlags => Instrumentation < 0 ? InstrumentationFlags.None : (InstrumentationFlags)Instrumentation;

    /// <summary>The fully qualified metadata name, used for the hint name of the generated file.</summary>
    public string FullName =>
        (Namespace is null ? "" : Namespace + ".")
        + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + "."))
        + Name;
}

/// <summary>One layer attribute, exactly as declared (before repeats are expanded and names are given).</summary>
internal sealed record LayerModel(
    LayerKind Kind,
    string Source,
    int Units,
    ActivationKind Activation,
    double Slope,
    double Alpha,
    string? Name,
    bool Bias,
    InitModel WeightInit,
    InitModel BiasInit,
    double Epsilon,
    int Count,
    int Growth,
    int Line = 0);

/// <summary>An initialiser as <c>GradGen.Initializers.Fill</c> takes it: kind and two numbers whose meaning depends
/// on the kind (Normal: mean, std; Uniform: low, high; Constant: value; Xavier/Kaiming/Orthogonal: gain).</summary>
internal readonly record struct InitModel(InitKind Kind, double A, double B);

/// <summary>A problem with the declaration. The generator emits nothing for a declaration with problems; the
/// analyzer reports each one at the attribute it names (<see cref="LayerIndex"/>, or the class when -1).</summary>
internal sealed record Problem(string Id, string Message, int LayerIndex);

internal enum LayerKind
{
    Dense,
    LayerNorm,
    Activate,
    Repeat,
    EndRepeat,
    Residual,
    EndResidual,
    DenseBlock,
}

/// <summary>Mirrors <c>GradGen.Activation</c>.</summary>
internal enum ActivationKind
{
    Identity,
    Sigmoid,
    Tanh,
    ReLU,
    LeakyReLU,
    GELU,
    GELUTanh,
    SiLU,
    Softplus,
    ELU,
}

/// <summary>Mirrors <c>GradGen.Loss</c>.</summary>
internal enum LossKind
{
    None,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    BinaryCrossEntropyWithLogits,
}

/// <summary>Mirrors <c>GradGen.Instrumentation</c>.</summary>
[System.Flags]
internal enum InstrumentationFlags
{
    None = 0,
    Statistics = 1,
    AnomalyDetection = 2,
    All = Statistics | AnomalyDetection,
}

/// <summary>Mirrors <c>GradGen.Init</c>.</summary>
internal enum InitKind
{
    Default,
    XavierUniform,
    XavierNormal,
    KaimingUniform,
    KaimingNormal,
    Normal,
    Uniform,
    Constant,
    Zeros,
    Orthogonal,
}
