using GradGen.Optim;

namespace GradGen.Benchmarks;

/// <summary>A generated network behind <see cref="INetworkVariant"/>: its own TrainStep with GradGen's
/// <see cref="Sgd{T}"/> (which also checks every gradient is finite before updating, as every generated TrainStep does).
/// The one interface call per step costs nanoseconds against steps of tens of microseconds or more.</summary>
public sealed class GeneratedVariant : INetworkVariant
{
    private readonly Network<float> _network;
    private readonly Network<float, int>? _classifier;
    private readonly Network<float, float>? _regressor;
    private readonly Sgd<float> _sgd;

    public GeneratedVariant(Network<float> network)
    {
        _network = network;
        _classifier = network as Network<float, int>;
        _regressor = network as Network<float, float>;
        if (_classifier is null && _regressor is null)
            throw new ArgumentException($"{network.GetType().Name} has no loss, so it cannot be trained", nameof(network));
        _sgd = new Sgd<float>(network.ParameterCount, BenchmarkNetworks.LearningRate);
    }

    /// <summary>The generated network itself.</summary>
    public Network<float> Network => _network;

    public int Inputs => _network.InputSize;
    public int Outputs => _network.OutputSize;
    public Span<float> Parameters => _network.Parameters;
    public ReadOnlySpan<float> Gradients => _network.Gradients;
    public ReadOnlySpan<float> Output => _network.Output;

    public void Forward(ReadOnlySpan<float> input) => _network.Forward(input);

    public float ComputeGradients(StepData data)
    {
        _network.ZeroGradients();
        return _classifier is not null
            ? _classifier.ComputeGradients(data.Input, data.Labels)
            : _regressor!.ComputeGradients(data.Input, data.Targets);
    }

    public float TrainStep(StepData data) => _classifier is not null
        ? _classifier.TrainStep(data.Input, data.Labels, _sgd)
        : _regressor!.TrainStep(data.Input, data.Targets, _sgd);
}
