namespace GradGen.Benchmarks.HandWritten;

/// <summary>A stack of Linear layers, each followed by its activation (none on the last one of a classifier): the
/// MLP, the deep sigmoid network and the plain 50×128 network. Each layer keeps its pre-activation z and output a.</summary>
public sealed class SequentialNetwork<TMath> : HandWrittenNetwork<TMath> where TMath : ILayerMath
{
    private readonly Linear[] _layers;
    private readonly Activation[] _activations;
    private readonly float[][] _z, _a, _da;
    private readonly float[] _dz, _scratch;

    /// <param name="widths">Inputs, then each layer's outputs.</param>
    /// <param name="activations">Each layer's activation (Identity, ReLU or Sigmoid).</param>
    public SequentialNetwork(int maxBatch, int[] widths, Activation[] activations, bool crossEntropy)
        : base(maxBatch, widths[0], widths[^1], CountParameters(widths), crossEntropy)
    {
        if (activations.Length != widths.Length - 1)
            throw new ArgumentException($"{widths.Length - 1} layers need as many activations, not {activations.Length}", nameof(activations));
        _activations = activations;
        _layers = new Linear[activations.Length];
        _z = new float[_layers.Length][];
        _a = new float[_layers.Length][];
        _da = new float[_layers.Length][];
        int widest = widths.Max();
        for (int l = 0; l < _layers.Length; l++)
        {
            _layers[l] = AddLinear(widths[l], widths[l + 1]);
            _z[l] = new float[maxBatch * widths[l + 1]];
            _a[l] = activations[l] == Activation.Identity ? _z[l] : new float[maxBatch * widths[l + 1]];
            _da[l] = new float[maxBatch * widths[l + 1]];
        }
        _dz = new float[maxBatch * widest];
        _scratch = new float[maxBatch * widest];
    }

    private static int CountParameters(int[] widths)
    {
        int count = 0;
        for (int l = 0; l + 1 < widths.Length; l++) count += widths[l + 1] * widths[l] + widths[l + 1];
        return count;
    }

    protected override ReadOnlySpan<float> OutputBuffer => _a[^1];

    protected override void ForwardLayers()
    {
        ReadOnlySpan<float> x = Input;
        for (int l = 0; l < _layers.Length; l++)
        {
            Span<float> z = Rows(_z[l], _layers[l].Out);
            Forward(_layers[l], z, x);
            if (_activations[l] != Activation.Identity) TMath.Activate(_activations[l], Rows(_a[l], _layers[l].Out), z);
            x = Rows(_a[l], _layers[l].Out);
        }
    }

    protected override void BackwardLayers(ReadOnlySpan<float> dOutput)
    {
        ReadOnlySpan<float> da = dOutput;
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            int width = _layers[l].Out;
            ReadOnlySpan<float> dz = da;
            if (_activations[l] != Activation.Identity)
            {
                Span<float> dzl = Rows(_dz, width);
                TMath.ActivateBackward(_activations[l], dzl, da, Rows(_z[l], width), Rows(_a[l], width));
                dz = dzl;
            }
            // The first layer reads the network's input, whose gradient nobody needs.
            Span<float> dx = l > 0 ? Rows(_da[l - 1], _layers[l].In) : default;
            ReadOnlySpan<float> x = l > 0 ? Rows(_a[l - 1], _layers[l].In) : Input;
            Backward(_layers[l], dx, dz, x, _scratch);
            da = dx;
        }
    }
}
