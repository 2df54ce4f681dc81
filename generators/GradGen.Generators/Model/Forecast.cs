using System;
using System.Collections.Generic;

namespace GradGen.Generators.Model;

// The gradient-flow forecast: how the scale of the activations and of the gradients changes from op to op of a plan
// at initialisation, by mean-field theory (Poole et al. 2016, Schoenholz et al. 2017), with the initialisers' actual
// distributions. It is what the GG1xxx rules judge and what the generated class carries as static data (`Forecast`).
//
// Per view of the plan it tracks, over units, samples and the random initialisation,
//   m = E[x],   q = E[x²],   c = E[x_b·x_b′] for two different samples b ≠ b′ (the part all samples share),
// and per gradient g = E[dx²] and k = E[dx_b·dx_b′]. A Dense op z = W·x + b with W of fan-in n, E[W] = μ, Var W = σ²:
//   E[z]   = n·μ·m_x + E[b]
//   E[z²]  = n·(σ² + μ²)·q_x + n(n−1)·μ²·m_x² + E[b²] + 2·E[b]·n·μ·m_x          (c: the same with c_x for q_x)
// then a = f(z) with z ~ N(E[z], Var z), samples correlated by c: E[f(z)], E[f(z)²], E[f(z_b)·f(z_b′)] by Gauss–Hermite
// quadrature (one and two dimensions). Backward: dz = f′(z)·da, so g_z = E[f′(z)²]·g_a, k_z = E[f′(z_b)·f′(z_b′)]·k_a,
// and dx = Wᵀ·dz: g_x = fan_out·(σ² + μ²)·g_z. A residual add sums its two paths (z = x + r, the activation after
// the add applies to the sum; the gradient reaches both), LayerNorm resets q to 1 and divides the gradient by the
// input's variance, and a dense block's concatenation keeps each earlier feature's moments in its columns.
// The weight gradient dW = Σ_b dz_bᵀ·x_b over a batch of B samples has
//   E‖dW‖² = fan_in·fan_out·B·(g_z·q_x + (B − 1)·k_z·c_x),
// so the shared part of the signal counts B − 1 times more once the samples' activations have become alike.

/// <summary>Moments of a view's values at initialisation: Mean = E[x], Square = E[x²], Cross = E[x_b·x_b′], b ≠ b′.</summary>
internal readonly record struct Moments(double Mean, double Square, double Cross)
{
    public double Variance => Math.Max(Square - Mean * Mean, 0);
}

/// <summary>Moments of a gradient: Square = E[dx²], Cross = E[dx_b·dx_b′], b ≠ b′.</summary>
internal readonly record struct GradientMoments(double Square, double Cross)
{
    public static GradientMoments operator +(GradientMoments a, GradientMoments b) => new(a.Square + b.Square, a.Cross + b.Cross);
    public GradientMoments Scale(double square, double cross) => new(Square * square, Cross * cross);
}

/// <summary>The forecast of one weight matrix: its gradient norm relative to the last weight's, and the RMS of its
/// layer's output relative to the network input's.</summary>
internal sealed record WeightForecast(string Name, int LayerIndex, double GradientScale, double ActivationScale);

/// <summary>What one declaration attribute does to the scales, summed over its repetitions: ln of the factor by which
/// it multiplies E[a²] going forward and E[dx²] going backward.</summary>
internal sealed record AttributeEffect(int LayerIndex, int Count, double LogForward, double LogBackward);

/// <summary>A Dense op's pre-activation at initialisation, for the rules that read it (dead ReLU).</summary>
internal sealed record PreActivationForecast(int LayerIndex, ActivationPlan Activation, double Mean, double Std);

/// <summary>The forecast of a network; <see cref="GradientRatio"/> and <see cref="ActivationRatio"/> have the measurement's
/// definitions: ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ and ‖output‖ / ‖input‖ over a batch.</summary>
internal sealed record NetworkForecast(
    double GradientRatio,
    double ActivationRatio,
    string FirstWeight,
    string LastWeight,
    IReadOnlyList<WeightForecast> Weights,
    IReadOnlyList<AttributeEffect> Effects,
    IReadOnlyList<PreActivationForecast> PreActivations);

internal static class Forecaster
{
    /// <summary>The batch the weight-gradient norms are forecast for (the measurement's).</summary>
    public const int Batch = 64;

    /// <summary>Quadrature nodes and weights for E[h(u)], u ~ N(0, 1): 24 points integrate polynomials to degree 47
    /// exactly and smooth activations to ~1e-10; for ReLU's kink the error is a few percent at worst.</summary>
    private static readonly double[] s_nodes, s_weights;

    static Forecaster() => (s_nodes, s_weights) = GaussHermite(24);

    /// <summary>The forecast of a planned network (the plan must have no problems).</summary>
    public static NetworkForecast Compute(NetworkModel model, NetworkPlan plan)
    {
        var state = new State(model);
        state.Forward(plan);
        state.Backward(plan);
        return state.Result(plan);
    }

    /// <summary>Initialiser → (E[w], Var w), as GradGen.Initializers.Fill draws it.</summary>
    public static (double Mean, double Variance) Distribution(InitModel init, int fanIn, int fanOut)
    {
        switch (init.Kind)
        {
            case InitKind.Default: return (0, 1.0 / (3.0 * fanIn));                       // U(±1/√fan_in)
            case InitKind.XavierUniform:
            case InitKind.XavierNormal: return (0, init.A * init.A * 2.0 / (fanIn + (double)fanOut));
            case InitKind.KaimingUniform:
            case InitKind.KaimingNormal: return (0, init.A * init.A / fanIn);
            case InitKind.Normal: return (init.A, init.B * init.B);
            case InitKind.Uniform: return ((init.A + init.B) / 2, (init.B - init.A) * (init.B - init.A) / 12);
            case InitKind.Constant: return (init.A, 0);
            case InitKind.Orthogonal: return (0, init.A * init.A / Math.Max(fanIn, fanOut)); // a·Q: rows or columns of norm a
            default: return (0, 0);                                                         // Zeros
        }
    }

    /// <summary>E[f], E[f²], E[f′²], E[f(z_b)f(z_b′)], E[f′(z_b)f′(z_b′)] for z ~ N(mean, variance), two samples with covariance <paramref name="covariance"/>.</summary>
    internal readonly record struct Integrals(double F, double F2, double D2, double FF, double DD);

    internal static Integrals Integrate(ActivationPlan activation, double mean, double variance, double covariance)
    {
        var info = Activations.Of(activation.Kind);
        if (activation.Kind == ActivationKind.Identity)
            return new Integrals(mean, variance + mean * mean, 1, covariance + mean * mean, 1);
        if (variance <= 1e-300)
        {
            double f0 = info.F(activation, mean), d0 = info.Derivative(activation, mean);
            return new Integrals(f0, f0 * f0, d0 * d0, f0 * f0, d0 * d0);
        }
        double s = Math.Sqrt(variance);
        double rho = Math.Min(Math.Max(covariance / variance, 0), 1);
        double r = Math.Sqrt(1 - rho * rho);
        double ef = 0, ef2 = 0, ed2 = 0, eff = 0, edd = 0;
        int n = s_nodes.Length;
        for (int i = 0; i < n; i++)
        {
            double za = mean + s * s_nodes[i];
            double fa = info.F(activation, za), da = info.Derivative(activation, za), wa = s_weights[i];
            ef += wa * fa;
            ef2 += wa * fa * fa;
            ed2 += wa * da * da;
            if (rho < 1e-12 || rho > 1 - 1e-12) continue; // independent or identical samples: closed below
            // z_b′ = mean + s·(ρ·u_i + √(1−ρ²)·u_j): correlation ρ with z_b = mean + s·u_i
            double ff = 0, dd = 0;
            for (int j = 0; j < n; j++)
            {
                double zb = mean + s * (rho * s_nodes[i] + r * s_nodes[j]);
                ff += s_weights[j] * info.F(activation, zb);
                dd += s_weights[j] * info.Derivative(activation, zb);
            }
            eff += wa * fa * ff;
            edd += wa * da * dd;
        }
        if (rho <= 1e-12)
        {
            double ed = 0;
            for (int i = 0; i < n; i++) ed += s_weights[i] * info.Derivative(activation, mean + s * s_nodes[i]);
            eff = ef * ef;
            edd = ed * ed;
        }
        else if (rho >= 1 - 1e-12)
        {
            eff = ef2;
            edd = ed2;
        }
        return new Integrals(ef, ef2, ed2, eff, edd);
    }

    /// <summary>Nodes and weights of n-point Gauss–Hermite quadrature, rescaled from ∫e^(−x²)h(x)dx to E[h(u)], u ~ N(0, 1)
    /// (Newton iteration on the orthonormal Hermite recurrence, as Numerical Recipes' gauher).</summary>
    internal static (double[] Nodes, double[] Weights) GaussHermite(int n)
    {
        const double PiToMinusQuarter = 0.7511255444649425;
        var x = new double[n];
        var w = new double[n];
        double z = 0, pp = 0;
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            // initial guesses for the largest roots, then extrapolation from the previous two
            z = i switch
            {
                0 => Math.Sqrt(2.0 * n + 1) - 1.85575 * Math.Pow(2.0 * n + 1, -0.16667),
                1 => z - 1.14 * Math.Pow(n, 0.426) / z,
                2 => 1.86 * z - 0.86 * x[0],
                3 => 1.91 * z - 0.91 * x[1],
                _ => 2.0 * z - x[i - 2],
            };
            for (int iteration = 0; iteration < 100; iteration++)
            {
                double p1 = PiToMinusQuarter, p2 = 0;
                for (int j = 0; j < n; j++)
                {
                    double p3 = p2;
                    p2 = p1;
                    p1 = z * Math.Sqrt(2.0 / (j + 1)) * p2 - Math.Sqrt(j / (j + 1.0)) * p3;
                }
                pp = Math.Sqrt(2.0 * n) * p2;
                double previous = z;
                z = previous - p1 / pp;
                if (Math.Abs(z - previous) <= 1e-14) break;
            }
            x[i] = z;
            x[n - 1 - i] = -z;
            w[i] = w[n - 1 - i] = 2.0 / (pp * pp);
        }
        for (int i = 0; i < n; i++)
        {
            x[i] *= Math.Sqrt(2.0);        // e^(−x²) → e^(−u²/2)
            w[i] /= Math.Sqrt(Math.PI);    // weights sum to 1
        }
        return (x, w);
    }

    /// <summary>One forecast in progress: the moments of every segment of every buffer (a segment is the columns one
    /// op writes), and the gradients accumulated into them going backward.</summary>
    private sealed class State(NetworkModel model)
    {
        private sealed class Segment(int column, int width, Moments moments)
        {
            public int Column { get; } = column;
            public int Width { get; } = width;
            public Moments Moments { get; } = moments;
            public GradientMoments Gradient { get; set; }
        }

        private readonly Dictionary<string, List<Segment>> _segments = new();
        private readonly Dictionary<int, OpState> _ops = new();
        private readonly Dictionary<int, (int Count, double Forward, double Backward)> _effects = new();
        private readonly Dictionary<string, double> _weightGradients = new();  // E‖dW‖² by parameter name, up to a common constant
        private readonly Dictionary<string, (int LayerIndex, double Rms)> _weightLayers = new();
        private readonly List<PreActivationForecast> _preActivations = new();
        private readonly int[] _activationOwner = ActivationOwners(model);

        private sealed record OpState(Moments Input, Integrals Act, double WeightSquare, int Units);

        public void Forward(NetworkPlan plan)
        {
            Write(plan.Input!, new Moments(0, 1, 0)); // inputs N(0, 1), independent samples
            foreach (var op in plan.Ops)
            {
                var x = Read(op.Input);
                switch (op)
                {
                    case DenseOp d:
                    {
                        var (mw, vw) = Distribution(d.Weight.Init, d.Weight.FanIn, d.Weight.FanOut);
                        var (mb, vb) = d.Bias is { } bias ? Distribution(bias.Init, bias.FanIn, bias.FanOut) : (0.0, 0.0);
                        double n = d.Input.Width, w2 = vw + mw * mw, b2 = vb + mb * mb;
                        double shared = n * (n - 1) * mw * mw * x.Mean * x.Mean + b2 + 2 * mb * n * mw * x.Mean;
                        var z = new Moments(n * mw * x.Mean + mb, n * w2 * x.Square + shared, n * w2 * x.Cross + shared);
                        AddEffect(d.LayerIndex, Math.Log(Ratio(z.Square, x.Square)), Math.Log(d.Output.Width * w2), count: 1);
                        if (d.Residual is { } r) z = Add(z, Read(r));
                        var a = Activate(d.Activation, z, out var integrals);
                        _preActivations.Add(new PreActivationForecast(d.LayerIndex, d.Activation, z.Mean, Math.Sqrt(z.Variance)));
                        AddEffect(_activationOwner[d.LayerIndex] is >= 0 and var owner && d.Residual is not null ? owner : d.LayerIndex,
                            Math.Log(Ratio(a.Square, z.Square)), Math.Log(integrals.D2), count: 0);
                        _ops[op.Index] = new OpState(x, integrals, w2, d.Output.Width);
                        _weightLayers[d.Weight.Name] = (d.LayerIndex, Math.Sqrt(a.Square));
                        Write(op.Output, a);
                        break;
                    }
                    case LayerNormOp ln:
                    {
                        double v = x.Variance + ln.Epsilon;
                        var y = new Moments(0, x.Variance / v, Math.Max(x.Cross - x.Mean * x.Mean, 0) / v);
                        AddEffect(ln.LayerIndex, Math.Log(Ratio(y.Square, x.Square)), -Math.Log(v), count: 1);
                        _ops[op.Index] = new OpState(x, default, 1 / v, 0);
                        Write(op.Output, y);
                        break;
                    }
                    case ActivateOp act:
                    {
                        var z = act.Residual is { } r ? Add(x, Read(r)) : x;
                        var a = Activate(act.Activation, z, out var integrals);
                        AddEffect(act.LayerIndex, Math.Log(Ratio(a.Square, x.Square)), Math.Log(integrals.D2), count: act.Residual is null ? 1 : 0);
                        _ops[op.Index] = new OpState(x, integrals, 0, 0);
                        Write(op.Output, a);
                        break;
                    }
                    default: // CopyOp
                        Write(op.Output, x);
                        break;
                }
            }
        }

        public void Backward(NetworkPlan plan)
        {
            // The loss gradient per output element, up to the constant 2/(B·outputs) that every ratio cancels.
            foreach (var segment in SegmentsOf(plan.Output!))
            {
                segment.Gradient = model.Loss == LossKind.MeanSquaredError
                    ? new GradientMoments(segment.Moments.Square + 1, segment.Moments.Cross) // y − t, targets N(0, 1)
                    : new GradientMoments(1, 0);                                               // p − onehot: samples independent
            }
            for (int i = plan.Ops.Count - 1; i >= 0; i--)
            {
                var op = plan.Ops[i];
                var output = GradientOf(op.Output);
                switch (op)
                {
                    case DenseOp d:
                    {
                        var s = _ops[op.Index];
                        var dz = output.Scale(s.Act.D2, s.Act.DD);
                        double n = d.Input.Width;
                        _weightGradients[d.Weight.Name] = n * s.Units * Batch * (dz.Square * s.Input.Square + (Batch - 1) * Math.Max(dz.Cross, 0) * s.Input.Cross);
                        AddGradient(d.Input, dz.Scale(s.Units * s.WeightSquare, s.Units * s.WeightSquare));
                        if (d.Residual is { } r) AddGradient(r, dz);
                        break;
                    }
                    case LayerNormOp:
                        AddGradient(op.Input, output.Scale(_ops[op.Index].WeightSquare, _ops[op.Index].WeightSquare));
                        break;
                    case ActivateOp act:
                    {
                        var s = _ops[op.Index];
                        var dz = output.Scale(s.Act.D2, s.Act.DD);
                        AddGradient(op.Input, dz);
                        if (act.Residual is { } r) AddGradient(r, dz);
                        break;
                    }
                    default:
                        AddGradient(op.Input, output);
                        break;
                }
            }
        }

        public NetworkForecast Result(NetworkPlan plan)
        {
            var weights = new List<ParameterPlan>();
            foreach (var p in plan.Parameters)
                if (p.Shape.Length == 2) weights.Add(p);
            double last = _weightGradients[weights[weights.Count - 1].Name];
            double first = _weightGradients[weights[0].Name];
            double gradientRatio = first == 0 ? 0 : last == 0 ? double.PositiveInfinity : Math.Sqrt(first / last);

            var output = Read(plan.Output!);
            double activationRatio = Math.Sqrt(output.Square * plan.Output!.Width / model.Inputs);

            var weightForecasts = new List<WeightForecast>();
            foreach (var p in weights)
            {
                double g = _weightGradients[p.Name];
                weightForecasts.Add(new WeightForecast(p.Name, _weightLayers[p.Name].LayerIndex,
                    g == 0 ? 0 : last == 0 ? double.PositiveInfinity : Math.Sqrt(g / last), _weightLayers[p.Name].Rms));
            }
            var effects = new List<AttributeEffect>();
            foreach (var e in _effects)
                effects.Add(new AttributeEffect(e.Key, e.Value.Count, e.Value.Forward, e.Value.Backward));
            effects.Sort((a, b) => a.LayerIndex.CompareTo(b.LayerIndex));
            return new NetworkForecast(gradientRatio, activationRatio, weights[0].Name, weights[weights.Count - 1].Name,
                weightForecasts, effects, _preActivations);
        }

        private static Moments Add(Moments a, Moments b) =>
            new(a.Mean + b.Mean, a.Square + b.Square + 2 * a.Mean * b.Mean, a.Cross + b.Cross + 2 * a.Mean * b.Mean);

        private static Moments Activate(ActivationPlan activation, Moments z, out Integrals integrals)
        {
            integrals = Integrate(activation, z.Mean, z.Variance, Math.Max(z.Cross - z.Mean * z.Mean, 0));
            return new Moments(integrals.F, integrals.F2, integrals.FF);
        }

        private static double Ratio(double a, double b) => a <= 0 || b <= 0 ? 1 : a / b; // a zero scale has no log: count it as no change here

        private void AddEffect(int layerIndex, double logForward, double logBackward, int count)
        {
            _effects.TryGetValue(layerIndex, out var e);
            double finite(double v) => double.IsNaN(v) || double.IsInfinity(v) ? 0 : v;
            _effects[layerIndex] = (e.Count + count, e.Forward + finite(logForward), e.Backward + finite(logBackward));
        }

        private void Write(ViewPlan view, Moments moments)
        {
            if (!_segments.TryGetValue(view.Buffer.Name, out var list)) _segments[view.Buffer.Name] = list = new List<Segment>();
            list.RemoveAll(s => s.Column == view.Column);
            list.Add(new Segment(view.Column, view.Width, moments));
        }

        private IEnumerable<Segment> SegmentsOf(ViewPlan view)
        {
            foreach (var s in _segments[view.Buffer.Name])
                if (s.Column >= view.Column && s.Column < view.Column + view.Width) yield return s;
        }

        /// <summary>The moments of a view: the width-weighted mean of its segments' (a dense block reads all earlier features).</summary>
        private Moments Read(ViewPlan view)
        {
            double m = 0, q = 0, c = 0;
            foreach (var s in SegmentsOf(view))
            {
                double share = (double)s.Width / view.Width;
                m += share * s.Moments.Mean;
                q += share * s.Moments.Square;
                c += share * s.Moments.Cross;
            }
            return new Moments(m, q, c);
        }

        private GradientMoments GradientOf(ViewPlan view)
        {
            double g = 0, k = 0;
            foreach (var s in SegmentsOf(view))
            {
                double share = (double)s.Width / view.Width;
                g += share * s.Gradient.Square;
                k += share * s.Gradient.Cross;
            }
            return new GradientMoments(g, k);
        }

        /// <summary>Each element of the view receives the same contribution; paths into one value add (independent at init).</summary>
        private void AddGradient(ViewPlan view, GradientMoments gradient)
        {
            foreach (var s in SegmentsOf(view)) s.Gradient += gradient;
        }

        /// <summary>For each attribute, the [Residual] whose activation a Dense at its end carries after fusion
        /// (the innermost enclosing [Residual]), or −1.</summary>
        private static int[] ActivationOwners(NetworkModel model)
        {
            var owner = new int[model.Layers.Count];
            var open = new Stack<int>();
            for (int i = 0; i < model.Layers.Count; i++)
            {
                owner[i] = open.Count > 0 ? open.Peek() : -1;
                if (model.Layers[i].Kind == LayerKind.Residual) open.Push(i);
                else if (model.Layers[i].Kind == LayerKind.EndResidual && open.Count > 0) open.Pop();
            }
            return owner;
        }
    }
}
