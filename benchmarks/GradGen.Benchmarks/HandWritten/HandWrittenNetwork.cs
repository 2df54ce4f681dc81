namespace GradGen.Benchmarks.HandWritten;

/// <summary>What the hand-written networks share: flat parameters and gradients in PyTorch's order, the input kept for
/// the backward pass, the loss, and the SGD step. Every buffer is allocated once, in the constructor, for batches up
/// to MaxBatch; a step allocates nothing. Subclasses are the three structures of the benchmark networks
/// (<see cref="SequentialNetwork{TMath}"/>, <see cref="ResidualNetwork{TMath}"/>, <see cref="DenseConcatNetwork{TMath}"/>).</summary>
public abstract class HandWrittenNetwork<TMath> : INetworkVariant where TMath : ILayerMath
{
    private readonly float[] _parameters, _gradients, _input, _dOutput;
    private readonly bool _crossEntropy;
    private int _parameterCount;

    protected HandWrittenNetwork(int maxBatch, int inputs, int outputs, int parameterCount, bool crossEntropy)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        (MaxBatch, Inputs, Outputs, _crossEntropy) = (maxBatch, inputs, outputs, crossEntropy);
        _parameters = new float[parameterCount];
        _gradients = new float[parameterCount];
        _input = new float[maxBatch * inputs];
        _dOutput = new float[maxBatch * outputs];
    }

    public int MaxBatch { get; }
    public int Inputs { get; }
    public int Outputs { get; }
    public Span<float> Parameters => _parameters;
    public ReadOnlySpan<float> Gradients => _gradients;
    public ReadOnlySpan<float> Output => OutputBuffer[..(Batch * Outputs)];

    /// <summary>Samples in the last forward pass.</summary>
    protected int Batch { get; private set; }

    /// <summary>The input of the last forward pass, (Batch, Inputs).</summary>
    protected ReadOnlySpan<float> Input => _input.AsSpan(0, Batch * Inputs);

    /// <summary>The last layer's output buffer, MaxBatch rows.</summary>
    protected abstract ReadOnlySpan<float> OutputBuffer { get; }

    /// <summary>The layers' forward passes on <see cref="Input"/>.</summary>
    protected abstract void ForwardLayers();

    /// <summary>The layers' backward passes from d loss / d output, adding into the gradients.</summary>
    protected abstract void BackwardLayers(ReadOnlySpan<float> dOutput);

    /// <summary>Reserves the next weight (outF, inF) and bias (outF) in the flat parameters: nn.Linear's order.</summary>
    protected Linear AddLinear(int inF, int outF)
    {
        var layer = new Linear(inF, outF, _parameterCount);
        _parameterCount += layer.ParameterCount;
        if (_parameterCount > _parameters.Length)
            throw new InvalidOperationException($"The layers need more than the {_parameters.Length} parameters the network declared");
        return layer;
    }

    /// <summary>z = x·wᵀ + b on the current batch.</summary>
    protected void Forward(Linear layer, Span<float> z, ReadOnlySpan<float> x) =>
        TMath.Linear(z, x, layer.Weight(_parameters), layer.Bias(_parameters), Batch, layer.In, layer.Out);

    /// <summary>dw += dzᵀ·x; db += Σ dz; dx = dz·w unless dx is empty.</summary>
    protected void Backward(Linear layer, Span<float> dx, ReadOnlySpan<float> dz, ReadOnlySpan<float> x, Span<float> scratch) =>
        TMath.LinearBackward(dx, layer.Weight(_gradients), layer.Bias(_gradients), dz, x, layer.Weight(_parameters), scratch,
            Batch, layer.In, layer.Out);

    /// <summary>The first Batch rows of a (MaxBatch, width) buffer.</summary>
    protected Span<float> Rows(float[] buffer, int width) => buffer.AsSpan(0, Batch * width);

    public void Forward(ReadOnlySpan<float> input)
    {
        if (input.Length == 0 || input.Length % Inputs != 0 || input.Length / Inputs > MaxBatch)
            throw new ArgumentException($"The input has {input.Length} values: not 1 to {MaxBatch} samples of {Inputs}", nameof(input));
        Batch = input.Length / Inputs;
        input.CopyTo(_input);
        ForwardLayers();
    }

    public float ComputeGradients(StepData data)
    {
        if (_parameterCount != _parameters.Length)
            throw new InvalidOperationException($"The layers use {_parameterCount} of the {_parameters.Length} parameters declared");
        _gradients.AsSpan().Clear();
        Forward(data.Input);
        Span<float> dOutput = _dOutput.AsSpan(0, Batch * Outputs);
        float loss = _crossEntropy
            ? TMath.SoftmaxCrossEntropy(dOutput, Output, data.Labels, Batch, Outputs)
            : TMath.MeanSquaredError(dOutput, Output, data.Targets);
        BackwardLayers(dOutput);
        return loss;
    }

    public float TrainStep(StepData data)
    {
        float loss = ComputeGradients(data);
        TMath.SgdUpdate(_parameters, _gradients, BenchmarkNetworks.LearningRate);
        return loss;
    }
}

/// <summary>Where one nn.Linear's weight (Out, In) and bias (Out) sit in the flat parameters (and gradients).</summary>
public readonly record struct Linear(int In, int Out, int Offset)
{
    public int ParameterCount => Out * In + Out;
    public Span<float> Weight(float[] flat) => flat.AsSpan(Offset, Out * In);
    public Span<float> Bias(float[] flat) => flat.AsSpan(Offset + Out * In, Out);
}
