namespace GradGen.Benchmarks;

/// <summary>One implementation of one benchmark network: the generated one or a hand-written one. Parameters and
/// gradients are flat, in PyTorch's <c>model.parameters()</c> order (each layer's weight (out, in), then its bias),
/// so that every variant can start from the generated network's weights and be compared with it.</summary>
public interface INetworkVariant
{
    /// <summary>Input features per sample.</summary>
    int Inputs { get; }

    /// <summary>Output features per sample.</summary>
    int Outputs { get; }

    /// <summary>All parameters, flat.</summary>
    Span<float> Parameters { get; }

    /// <summary>All gradients, laid out as <see cref="Parameters"/>.</summary>
    ReadOnlySpan<float> Gradients { get; }

    /// <summary>The output of the last forward pass, (batch, Outputs).</summary>
    ReadOnlySpan<float> Output { get; }

    /// <summary>The forward pass on (batch, Inputs) row-major values.</summary>
    void Forward(ReadOnlySpan<float> input);

    /// <summary>Zeroes the gradients, then forward, loss and backward on <paramref name="data"/>; returns the loss.</summary>
    float ComputeGradients(StepData data);

    /// <summary>One SGD training step (<see cref="ComputeGradients"/>, then p −= lr·g with lr
    /// <see cref="BenchmarkNetworks.LearningRate"/>); returns the loss before the update.</summary>
    float TrainStep(StepData data);
}

/// <summary>A batch: inputs and the targets of the network's loss (values for MSE, class indices for cross-entropy;
/// the other array is empty).</summary>
public sealed class StepData(float[] input, float[] targets, int[] labels)
{
    /// <summary>(batch, inputs) row-major.</summary>
    public float[] Input { get; } = input;

    /// <summary>(batch, outputs) for MSE, else empty.</summary>
    public float[] Targets { get; } = targets;

    /// <summary>(batch) class indices for cross-entropy, else empty.</summary>
    public int[] Labels { get; } = labels;
}
