namespace GradGen.Monitoring;

/// <summary>One layer (one op of the generated passes) as the monitor and the anomaly detector see it: what it is, the
/// attribute that declared it, and where its output and the output's gradient live in the arena. Generated networks
/// with instrumentation build this table once per network type.</summary>
/// <param name="Index">Position in forward order.</param>
/// <param name="Name">The layer's module name ("0", "3.fc1") or, for a layer without parameters, its kind and index.</param>
/// <param name="Kind">"Dense", "LayerNorm", "Activate", "ResidualAdd" or "Copy".</param>
/// <param name="Source">The attribute as written, e.g. <c>Dense(256, Activation.ReLU)</c>.</param>
/// <param name="File">The file that declares the network.</param>
/// <param name="Line">The attribute's line in that file (1-based).</param>
/// <param name="Width">Output features per sample.</param>
/// <param name="OutputOffset">The output buffer's per-sample offset: it starts at ActivationsStart + maxBatch · offset.</param>
/// <param name="OutputColumn">The output's first column in that buffer.</param>
/// <param name="OutputStride">The buffer's row stride.</param>
/// <param name="GradientOffset">The output gradient's per-sample offset, or -1 when it has none.</param>
/// <param name="Parameters">Names of the layer's parameters, in order.</param>
/// <param name="Saturation">For sigmoid and tanh outputs, how saturation is counted; otherwise none.</param>
/// <param name="Activation">The activation applied to the layer's output (Identity for LayerNorm and copies).</param>
public sealed record LayerInfo(
    int Index,
    string Name,
    string Kind,
    string Source,
    string File,
    int Line,
    int Width,
    int OutputOffset,
    int OutputColumn,
    int OutputStride,
    int GradientOffset,
    string[] Parameters,
    Saturation Saturation,
    Activation Activation)
{
    /// <summary>Called by generated layer tables: <paramref name="module"/> is the layer's module name ("3.fc1"), or null
    /// for a layer without parameters (named "&lt;kind&gt; &lt;index&gt;"); its parameters are module + "." + each suffix.</summary>
    public static LayerInfo Of(int index, string? module, string kind, string source, string file, int line, int width,
        int outputOffset, int outputColumn, int outputStride, int gradientOffset, Activation activation, params string[] parameterSuffixes)
        => new(index, module ?? $"{kind} {index}", kind, source, file, line, width, outputOffset, outputColumn, outputStride, gradientOffset,
            parameterSuffixes.Select(suffix => module + "." + suffix).ToArray(),
            activation switch { Activation.Sigmoid => Saturation.Sigmoid, Activation.Tanh => Saturation.Tanh, _ => Saturation.None },
            activation);

    /// <summary>"Dense(256, Activation.ReLU) at Network.cs:12".</summary>
    public string Declaration => Line > 0 ? $"[{Source}] at {File}:{Line}" : $"[{Source}] in {File}";
}

/// <summary>Which outputs count as saturated: where a squashing activation's derivative has all but vanished.</summary>
public enum Saturation
{
    /// <summary>The layer's activation does not saturate (or it has none).</summary>
    None,
    /// <summary>Sigmoid: a &lt; 0.01 or a &gt; 0.99, i.e. |z| &gt; 4.6, where σ′ &lt; 0.01.</summary>
    Sigmoid,
    /// <summary>Tanh: |a| &gt; 0.99, i.e. |z| &gt; 2.65, where tanh′ &lt; 0.02.</summary>
    Tanh,
}
