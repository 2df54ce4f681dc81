using System;
using System.Collections.Generic;
using System.Linq;

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
// then a = f(z) with z ~ N(E[z], Var z), samples correlated by c: E[f(z)], E[f(z)²], E[f(z_b)·f(z_b′)] by
// quadrature (see Forecaster.Integrate). Backward: dz = f′(z)·da, so g_z = E[f′(z)²]·g_a, k_z = E[f′(z_b)·f′(z_b′)]·k_a,
// and dx = Wᵀ·dz: g_x = fan_out·(σ² + μ²)·g_z + fan_out(fan_out−1)·μ²·u_z, where u = E[dz_i·dz_j] of two units of one sample
// (u_z = E[f′]²·u_a) is what a weight matrix with mean μ ≠ 0 sums coherently. A residual add sums its two paths (z = x + r, the activation after
// the add applies to the sum; the gradient reaches both), LayerNorm resets q to 1 and divides the gradient by the
// input's variance, and a dense block's concatenation keeps each earlier feature's moments in its columns.
// The weight gradient dW = Σ_b dz_bᵀ·x_b over a batch of B samples has
//   E‖dW‖² = fan_in·fan_out·B·(g_z·q_x + (B − 1)·k_z·c_x),
// so the shared part of the signal counts B − 1 times more once the samples' activations have become alike.
// The measurement takes a median over seeds of a norm, not a mean of squares: at finite width a layer's mean-square
// factor is random, with relative variance (E[f(z)⁴]/E[f(z)²]² − 1)/fan_out for the part of the signal the samples share
// (5/n for ReLU, Hanin & Nica 2019), and the median of a product of such factors is exp(−Σ variance/2) times its mean.
// ActivationRatio includes that correction; LayerNorm, which normalises each sample, resets it.

/// <summary>Moments of a view's values at initialisation: Mean = E[x], Square = E[x²], Cross = E[x_b·x_b′], b ≠ b′.</summary>
/// <see cref="LogMedian"/> is ln(median/mean) of E[x²] accumulated over the path (see the finite-width note above).
internal readonly record struct Moments(double Mean, double Square, double Cross, double LogMedian = 0)
{
    public double Variance => Math.Max(Square - Mean * Mean, 0);
}

/// <summary>Moments of a gradient: Square = E[dx²], Cross = E[dx_b·dx_b′] for two samples b ≠ b′, Units = E[dx_i·dx_j]
/// for two units i ≠ j of one sample (what a weight matrix with a nonzero mean sums coherently).</summary>
internal readonly record struct GradientMoments(double Square, double Cross, double Units)
{
    public static GradientMoments operator +(GradientMoments a, GradientMoments b) => new(a.Square + b.Square, a.Cross + b.Cross, a.Units + b.Units);
    public GradientMoments Scale(double factor) => new(Square * factor, Cross * factor, Units * factor);
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

    /// <summary>4-point Gauss–Legendre nodes and weights on [−1, 1].</summary>
    private static readonly double[] s_legendreNodes = { -0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526 };
    private static readonly double[] s_legendreWeights = { 0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538 };

    /// <summary>Hermite coefficients kept for the two-sample moments (Mehler's formula, see <see cref="Integrate"/>).</summary>
    private const int HermiteTerms = 16;

    /// <summary>√k for the Hermite recurrence, k = 0 … HermiteTerms.</summary>
    private static readonly double[] s_sqrt = Enumerable.Range(0, HermiteTerms + 1).Select(k => Math.Sqrt(k)).ToArray();

    /// <summary>The standard normal is integrated over |u| ≤ 8.5 (the rest has mass 2e-17).</summary>
    private const double NormalRange = 8.5;

    /// <summary>Every activation's nonlinear features (ReLU's kink, the sigmoid's and tanh's bends) lie in |z| ≤ 12.</summary>
    private const double FeatureRange = 12;

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
    internal readonly record struct Integrals(double F, double F2, double D2, double FF, double DD, double D = 1, double F4 = 0);

    /// <remarks>
    /// The integrals are over u ~ N(0, 1) with z = mean + std·u, by composite 4-point Gauss–Legendre on panels whose edges
    /// are every 0.5 in u and every 1 in z within |z| ≤ 12. Gauss–Hermite quadrature with fixed nodes fails exactly where
    /// it matters: when std is large (a chaotic tanh stack, std ≈ 4) its nodes step over tanh′'s peak of width ~1 and
    /// underestimate E[tanh′²] several-fold per layer (5e4× over 20 layers); the z-edges put nodes on every feature of the
    /// activation at any std, and a panel edge on ReLU's kink at 0. About 240 nodes, no allocation.
    /// The two-sample moments use Mehler's formula: with orthonormal Hermite polynomials h_k and u, u′ standard normal
    /// with correlation ρ, E[h_j(u)·h_k(u′)] = δ_jk·ρ^k, so E[f(z)·f(z′)] = Σ_k ρ^k·c_k² with c_k = E[f(z)·h_k(u)]. The sum
    /// is kept to 16 terms and the rest, E[f²] − Σ c_k² by Parseval, is added with weight ρ^17: exact at ρ = 0 and ρ = 1.
    /// </remarks>
    internal static Integrals Integrate(ActivationPlan activation, double mean, double variance, double covariance)
    {
        var info = Activations.Of(activation.Kind);
        if (activation.Kind == ActivationKind.Identity)
        {
            double q = variance + mean * mean;
            return new Integrals(mean, q, 1, covariance + mean * mean, 1, 1, 3 * variance * variance + 6 * variance * mean * mean + mean * mean * mean * mean);
        }
        if (variance <= 1e-300)
        {
            double f0 = info.F(activation, mean), d0 = info.Derivative(activation, mean);
            return new Integrals(f0, f0 * f0, d0 * d0, f0 * f0, d0 * d0, d0, f0 * f0 * f0 * f0);
        }
        double s = Math.Sqrt(variance);
        double rho = Math.Min(Math.Max(covariance / variance, 0), 1);
        double ef = 0, ef2 = 0, ef4 = 0, ed = 0, ed2 = 0;
        Span<double> fCoefficients = stackalloc double[HermiteTerms];
        Span<double> dCoefficients = stackalloc double[HermiteTerms];
        fCoefficients.Clear();
        dCoefficients.Clear();

        // Panel edges: the merge of u = −8.5, −8, …, 8.5 and u = (z − mean)/s for z = −12, −11, …, 12.
        double zStep = 1 / s, zLast = (FeatureRange - mean) / s;
        double a = -NormalRange, uEdge = a + 0.5, zEdge = (-FeatureRange - mean) / s;
        while (zEdge <= a && zEdge <= zLast) zEdge += zStep;
        while (a < NormalRange)
        {
            double b = Math.Min(uEdge, NormalRange);
            if (zEdge <= zLast && zEdge < b) b = zEdge;
            double half = (b - a) / 2, center = (a + b) / 2;
            for (int i = 0; i < s_legendreNodes.Length; i++)
            {
                double u = center + half * s_legendreNodes[i];
                double w = half * s_legendreWeights[i] * Math.Exp(-0.5 * u * u) * 0.39894228040143267794;
                double z = mean + s * u;
                double f = info.F(activation, z), d = info.Derivative(activation, z);
                ef += w * f;
                ef2 += w * f * f;
                ef4 += w * f * f * f * f;
                ed += w * d;
                ed2 += w * d * d;
                // orthonormal probabilists' Hermite polynomials: h_{k+1} = (u·h_k − √k·h_{k−1}) / √(k+1)
                double hPrevious = 0, h = 1;
                for (int k = 0; k < HermiteTerms; k++)
                {
                    fCoefficients[k] += w * f * h;
                    dCoefficients[k] += w * d * h;
                    double hNext = (u * h - s_sqrt[k] * hPrevious) / s_sqrt[k + 1];
                    hPrevious = h;
                    h = hNext;
                }
            }
            a = b;
            while (uEdge <= a) uEdge += 0.5;
            while (zEdge <= a && zEdge <= zLast) zEdge += zStep;
        }
        return new Integrals(ef, ef2, ed2, Mehler(fCoefficients, rho, ef2), Mehler(dCoefficients, rho, ed2), ed, ef4);
    }

    /// <summary>Σ_k ρ^k·c_k², with the coefficients beyond the last weighted by ρ^(K+1) (their total is E[f²] − Σ c_k²).</summary>
    private static double Mehler(ReadOnlySpan<double> coefficients, double rho, double square)
    {
        double sum = 0, power = 1, kept = 0;
        for (int k = 0; k < coefficients.Length; k++)
        {
            sum += power * coefficients[k] * coefficients[k];
            kept += coefficients[k] * coefficients[k];
            power *= rho;
        }
        return sum + power * Math.Max(square - kept, 0);
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

        /// <summary>What the backward needs of an op: its input's moments, its activation's integrals, and for a Dense
        /// E[w²] and E[w] (for LayerNorm, WeightSquare is 1/Var x) and its fan-out.</summary>
        private sealed record OpState(Moments Input, Integrals Act, double WeightSquare, double WeightMean, int Units);

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
                        double zSquare = n * w2 * x.Square + shared;
                        // the part of z that comes from x carries x's finite-width correction; the bias's part does not
                        double fromX = zSquare > 0 ? Math.Min(Math.Max((zSquare - b2) / zSquare, 0), 1) : 0;
                        var z = new Moments(n * mw * x.Mean + mb, zSquare, n * w2 * x.Cross + shared, x.LogMedian * fromX);
                        AddEffect(d.LayerIndex, Math.Log(Ratio(z.Square, x.Square)), Math.Log(d.Output.Width * w2), count: 1);
                        double random = n * vw * x.Square; // the part of E[z²] that depends on this draw of W
                        if (d.Residual is { } r) z = Add(z, Read(r));
                        var a = Activate(d.Activation, z, out var integrals);
                        // finite width: the median of the layer's mean-square factor (see the note at the top)
                        double kurtosis = integrals.F2 > 0 ? integrals.F4 / (integrals.F2 * integrals.F2) - 1 : 0;
                        double share = z.Square > 0 ? Math.Min(random / z.Square, 1) : 0;
                        double coherence = x.Square > 0 ? Math.Min(Math.Max(x.Cross / x.Square, 0), 1) : 0;
                        a = a with { LogMedian = a.LogMedian - 0.5 * kurtosis / d.Output.Width * coherence * share * share };
                        _preActivations.Add(new PreActivationForecast(d.LayerIndex, d.Activation, z.Mean, Math.Sqrt(z.Variance)));
                        AddEffect(_activationOwner[d.LayerIndex] is >= 0 and var owner && d.Residual is not null ? owner : d.LayerIndex,
                            Math.Log(Ratio(a.Square, z.Square)), Math.Log(integrals.D2), count: 0);
                        _ops[op.Index] = new OpState(x, integrals, w2, mw, d.Output.Width);
                        _weightLayers[d.Weight.Name] = (d.LayerIndex, Math.Sqrt(a.Square));
                        Write(op.Output, a);
                        break;
                    }
                    case LayerNormOp ln:
                    {
                        double v = x.Variance + ln.Epsilon;
                        var y = new Moments(0, x.Variance / v, Math.Max(x.Cross - x.Mean * x.Mean, 0) / v);
                        AddEffect(ln.LayerIndex, Math.Log(Ratio(y.Square, x.Square)), -Math.Log(v), count: 1);
                        _ops[op.Index] = new OpState(x, default, 1 / v, 0, 0);
                        Write(op.Output, y);
                        break;
                    }
                    case ActivateOp act:
                    {
                        var z = act.Residual is { } r ? Add(x, Read(r)) : x;
                        var a = Activate(act.Activation, z, out var integrals);
                        AddEffect(act.LayerIndex, Math.Log(Ratio(a.Square, x.Square)), Math.Log(integrals.D2), count: act.Residual is null ? 1 : 0);
                        _ops[op.Index] = new OpState(x, integrals, 0, 0, 0);
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
                double m = segment.Moments.Mean;
                segment.Gradient = model.Loss == LossKind.MeanSquaredError
                    ? new GradientMoments(segment.Moments.Square + 1, segment.Moments.Cross, m * m) // y − t, targets N(0, 1)
                    : new GradientMoments(1, 0, 0);                                               // p − target: samples independent
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
                        var dz = ThroughActivation(output, s.Act);
                        double n = d.Input.Width, k = s.Units, mu2 = s.WeightMean * s.WeightMean;
                        _weightGradients[d.Weight.Name] = n * k * Batch * (dz.Square * s.Input.Square + (Batch - 1) * Math.Max(dz.Cross, 0) * s.Input.Cross);
                        // dx_j = Σ_i W_ij·dz_i: the mean of W adds the units' gradients coherently
                        double coherent = mu2 * k * (k - 1) * dz.Units;
                        AddGradient(d.Input, new GradientMoments(k * s.WeightSquare * dz.Square + coherent, k * s.WeightSquare * dz.Cross,
                            mu2 * k * dz.Square + coherent));
                        if (d.Residual is { } r) AddGradient(r, dz);
                        break;
                    }
                    case LayerNormOp:
                        // dx = (dy − mean(dy) − x̂·mean(dy·x̂))/σ: scaled by 1/σ, and the part common to the units removed
                        AddGradient(op.Input, output.Scale(_ops[op.Index].WeightSquare) with { Units = 0 });
                        break;
                    case ActivateOp act:
                    {
                        var s = _ops[op.Index];
                        var dz = ThroughActivation(output, s.Act);
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
            double activationRatio = Math.Sqrt(output.Square * plan.Output!.Width / model.Inputs) * Math.Exp(output.LogMedian / 2);

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
            new(a.Mean + b.Mean, a.Square + b.Square + 2 * a.Mean * b.Mean, a.Cross + b.Cross + 2 * a.Mean * b.Mean,
                a.Square + b.Square > 0 ? (a.Square * a.LogMedian + b.Square * b.LogMedian) / (a.Square + b.Square) : 0);

        /// <summary>dz = f′(z)·da.</summary>
        private static GradientMoments ThroughActivation(GradientMoments da, Integrals act) =>
            new(da.Square * act.D2, da.Cross * act.DD, da.Units * act.D * act.D);

        private static Moments Activate(ActivationPlan activation, Moments z, out Integrals integrals)
        {
            integrals = Integrate(activation, z.Mean, z.Variance, Math.Max(z.Cross - z.Mean * z.Mean, 0));
            return new Moments(integrals.F, integrals.F2, integrals.FF, z.LogMedian);
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
            double m = 0, q = 0, c = 0, log = 0;
            foreach (var s in SegmentsOf(view))
            {
                double share = (double)s.Width / view.Width;
                m += share * s.Moments.Mean;
                q += share * s.Moments.Square;
                c += share * s.Moments.Cross;
                log += share * s.Moments.LogMedian;
            }
            return new Moments(m, q, c, log);
        }

        private GradientMoments GradientOf(ViewPlan view)
        {
            double g = 0, k = 0, u = 0;
            foreach (var s in SegmentsOf(view))
            {
                double share = (double)s.Width / view.Width;
                g += share * s.Gradient.Square;
                k += share * s.Gradient.Cross;
                u += share * s.Gradient.Units;
            }
            return new GradientMoments(g, k, u);
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
