namespace GradGen.Benchmarks.HandWritten;

/// <summary>dense_concat_20x32_784, as the PyTorch module writes it: features = [initial(x)]; each layer appends
/// relu(layer(cat(features))); the output is final(cat(features)). Each cat is a copy into a buffer of its own, as
/// torch.cat makes, and its gradient is split back to the features it was copied from.</summary>
public sealed class DenseConcatNetwork<TMath> : HandWrittenNetwork<TMath> where TMath : ILayerMath
{
    private readonly int _growth;
    private readonly Linear _initial, _final;
    private readonly Linear[] _layers;
    private readonly float[][] _features, _z, _cat, _dFeatures;
    private readonly float[] _dCat, _dz, _scratch, _output;

    public DenseConcatNetwork(int maxBatch, int inputs, int growth, int layers, int classes)
        : base(maxBatch, inputs, classes, CountParameters(inputs, growth, layers, classes), crossEntropy: true)
    {
        _growth = growth;
        _initial = AddLinear(inputs, growth);
        _layers = new Linear[layers];
        for (int l = 0; l < layers; l++) _layers[l] = AddLinear((l + 1) * growth, growth);
        _final = AddLinear((layers + 1) * growth, classes);
        // _features[0] is initial(x), _features[l + 1] the output of layer l; _cat[l] = cat(_features[0..l]) is the input
        // of layer l, and _cat[layers] that of final.
        _features = Enumerable.Range(0, layers + 1).Select(_ => new float[maxBatch * growth]).ToArray();
        _dFeatures = Enumerable.Range(0, layers + 1).Select(_ => new float[maxBatch * growth]).ToArray();
        _z = Enumerable.Range(0, layers).Select(_ => new float[maxBatch * growth]).ToArray();
        _cat = Enumerable.Range(0, layers + 1).Select(l => new float[maxBatch * (l + 1) * growth]).ToArray();
        _dCat = new float[maxBatch * (layers + 1) * growth];
        _dz = new float[maxBatch * growth];
        _scratch = new float[maxBatch * Math.Max(growth, classes)];
        _output = new float[maxBatch * classes];
    }

    private static int CountParameters(int inputs, int growth, int layers, int classes)
    {
        int count = growth * inputs + growth + classes * (layers + 1) * growth + classes;
        for (int l = 0; l < layers; l++) count += growth * (l + 1) * growth + growth;
        return count;
    }

    protected override ReadOnlySpan<float> OutputBuffer => _output;

    protected override void ForwardLayers()
    {
        int g = _growth;
        Forward(_initial, Rows(_features[0], g), Input);
        for (int l = 0; l < _layers.Length; l++)
        {
            Span<float> cat = Concatenate(l);
            Span<float> z = Rows(_z[l], g);
            Forward(_layers[l], z, cat);
            TMath.Activate(Activation.ReLU, Rows(_features[l + 1], g), z);
        }
        Forward(_final, Rows(_output, Outputs), Concatenate(_layers.Length));
    }

    // _cat[count − 1] = cat(_features[0 .. count − 1]) along the features.
    private Span<float> Concatenate(int last)
    {
        int g = _growth, width = (last + 1) * g;
        Span<float> cat = Rows(_cat[last], width);
        for (int i = 0; i < Batch; i++)
            for (int f = 0; f <= last; f++)
                _features[f].AsSpan(i * g, g).CopyTo(cat.Slice(i * width + f * g, g));
        return cat;
    }

    protected override void BackwardLayers(ReadOnlySpan<float> dOutput)
    {
        int g = _growth, layers = _layers.Length;
        for (int f = 0; f <= layers; f++) Rows(_dFeatures[f], g).Clear();
        Backward(_final, Rows(_dCat, (layers + 1) * g), dOutput, Rows(_cat[layers], (layers + 1) * g), _scratch);
        SplitGradient(layers);
        for (int l = layers - 1; l >= 0; l--)
        {
            Span<float> dz = Rows(_dz, g);
            TMath.ActivateBackward(Activation.ReLU, dz, Rows(_dFeatures[l + 1], g), Rows(_z[l], g), Rows(_features[l + 1], g));
            Backward(_layers[l], Rows(_dCat, (l + 1) * g), dz, Rows(_cat[l], (l + 1) * g), _scratch);
            SplitGradient(l);
        }
        // The initial layer reads the network's input, whose gradient nobody needs.
        Backward(_initial, default, Rows(_dFeatures[0], g), Input, _scratch);
    }

    // _dFeatures[f] += the columns of d cat(_features[0 .. last]) that came from feature f.
    private void SplitGradient(int last)
    {
        int g = _growth, width = (last + 1) * g;
        for (int i = 0; i < Batch; i++)
            for (int f = 0; f <= last; f++)
                TMath.AddTo(_dFeatures[f].AsSpan(i * g, g), _dCat.AsSpan(i * width + f * g, g));
    }
}
