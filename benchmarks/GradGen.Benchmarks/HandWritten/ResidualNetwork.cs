namespace GradGen.Benchmarks.HandWritten;

/// <summary>Blocks of h = relu(fc2(relu(fc1(h))) + h) at one width, nothing before or after them: residual_50x128.
/// Per block it keeps z1, a1 = relu(z1), z2, s = z2 + h and the block's output relu(s).</summary>
public sealed class ResidualNetwork<TMath> : HandWrittenNetwork<TMath> where TMath : ILayerMath
{
    private readonly int _width;
    private readonly Linear[] _fc1, _fc2;
    private readonly float[][] _z1, _a1, _z2, _s, _h;
    private readonly float[] _dh, _dhPrevious, _ds, _da1, _dz1, _scratch;

    public ResidualNetwork(int maxBatch, int blocks, int width)
        : base(maxBatch, width, width, blocks * 2 * (width * width + width), crossEntropy: false)
    {
        _width = width;
        _fc1 = new Linear[blocks];
        _fc2 = new Linear[blocks];
        float[][] Buffers() => Enumerable.Range(0, blocks).Select(_ => new float[maxBatch * width]).ToArray();
        (_z1, _a1, _z2, _s, _h) = (Buffers(), Buffers(), Buffers(), Buffers(), Buffers());
        for (int k = 0; k < blocks; k++)
        {
            _fc1[k] = AddLinear(width, width);
            _fc2[k] = AddLinear(width, width);
        }
        (_dh, _dhPrevious, _ds, _da1, _dz1, _scratch) = (new float[maxBatch * width], new float[maxBatch * width],
            new float[maxBatch * width], new float[maxBatch * width], new float[maxBatch * width], new float[maxBatch * width]);
    }

    protected override ReadOnlySpan<float> OutputBuffer => _h[^1];

    protected override void ForwardLayers()
    {
        ReadOnlySpan<float> h = Input;
        for (int k = 0; k < _fc1.Length; k++)
        {
            Span<float> z1 = Rows(_z1[k], _width), a1 = Rows(_a1[k], _width), z2 = Rows(_z2[k], _width);
            Forward(_fc1[k], z1, h);
            TMath.Activate(Activation.ReLU, a1, z1);
            Forward(_fc2[k], z2, a1);
            TMath.AddActivate(Activation.ReLU, Rows(_h[k], _width), Rows(_s[k], _width), z2, h);
            h = Rows(_h[k], _width);
        }
    }

    protected override void BackwardLayers(ReadOnlySpan<float> dOutput)
    {
        dOutput.CopyTo(_dh);
        Span<float> dh = Rows(_dh, _width), dhPrevious = Rows(_dhPrevious, _width);
        Span<float> ds = Rows(_ds, _width), da1 = Rows(_da1, _width), dz1 = Rows(_dz1, _width);
        for (int k = _fc1.Length - 1; k >= 0; k--)
        {
            ReadOnlySpan<float> h = k > 0 ? Rows(_h[k - 1], _width) : Input;
            // h_out = relu(s), s = fc2(a1) + h: ds flows into fc2 and, unchanged, along the skip.
            TMath.ActivateBackward(Activation.ReLU, ds, dh, Rows(_s[k], _width), Rows(_h[k], _width));
            Backward(_fc2[k], da1, ds, Rows(_a1[k], _width), _scratch);
            TMath.ActivateBackward(Activation.ReLU, dz1, da1, Rows(_z1[k], _width), Rows(_a1[k], _width));
            if (k == 0)
            {
                // The first block reads the network's input, whose gradient nobody needs.
                Backward(_fc1[k], default, dz1, h, _scratch);
                break;
            }
            Backward(_fc1[k], dhPrevious, dz1, h, _scratch);
            TMath.AddTo(dhPrevious, ds);
            Span<float> swap = dh;
            dh = dhPrevious;
            dhPrevious = swap;
        }
    }
}
