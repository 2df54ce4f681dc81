namespace GradGen.Benchmarks;

/// <summary>How far a hand-written variant is from the generated network on the same weights and batch: the check
/// that every variant of the benchmark computes the same thing. Run by <c>--verify</c> and by
/// tests/GradGen.Benchmarks.Tests.</summary>
public sealed record Agreement(BenchmarkNetwork Network, Variant Variant, double LossError, double OutputError,
    double WorstGradientError, string WorstParameter, double LossErrorAfterSteps)
{
    /// <summary>Float32 variants that sum in different orders (blocked FMA products, TensorPrimitives, scalar loops)
    /// agree to about 1e-6 relative; a wrong derivative, a missing term or a misplaced parameter is off by O(1).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The plain 50×128 network's first layers' gradients pass through 100 ReLU masks with no skip around
    /// them: there the variants summing in another order than the Dense kernels measured up to 2.6e-3 (Expert, on the
    /// same kernels, agrees exactly). We attribute it to pre-activations within rounding of 0 falling on different
    /// sides of the mask; a wrong gradient is still off by O(1).</summary>
    public const double PlainTolerance = 1e-2;

    /// <summary>The tolerance of <paramref name="network"/>.</summary>
    public static double ToleranceOf(BenchmarkNetwork network) => network == BenchmarkNetwork.Plain ? PlainTolerance : Tolerance;

    /// <summary>The largest of the relative errors.</summary>
    public double Worst => Math.Max(Math.Max(LossError, OutputError), Math.Max(WorstGradientError, LossErrorAfterSteps));

    /// <summary>Whether every error is within the network's tolerance.</summary>
    public bool Agrees => Worst <= ToleranceOf(Network);

    /// <summary>Compares <paramref name="variant"/> with the generated network: loss and output of one forward pass,
    /// every parameter's gradient (relative error of the tensor, ‖g − g₀‖ / ‖g₀‖), and the loss after three SGD steps
    /// (which checks the update).</summary>
    public static Agreement Measure(BenchmarkNetwork network, Variant variant, int batch = BenchmarkNetworks.StepBatch)
    {
        var generated = (GeneratedVariant)BenchmarkNetworks.Create(network, Variant.Generated, batch);
        var other = BenchmarkNetworks.Create(network, variant, batch);
        StepData data = BenchmarkNetworks.CreateData(network, batch);

        float loss0 = generated.ComputeGradients(data), loss = other.ComputeGradients(data);
        double outputError = RelativeError(other.Output, generated.Output);
        double worst = 0;
        string worstName = "";
        foreach (var p in generated.Network.ParameterTable)
        {
            double e = RelativeError(other.Gradients.Slice(p.Offset, p.Length), generated.Gradients.Slice(p.Offset, p.Length));
            if (e >= worst) (worst, worstName) = (e, p.Name);
        }

        for (int step = 0; step < 3; step++)
        {
            generated.TrainStep(data);
            other.TrainStep(data);
        }
        float after0 = generated.ComputeGradients(data), after = other.ComputeGradients(data);
        return new Agreement(network, variant, Relative(loss, loss0), outputError, worst, worstName, Relative(after, after0));
    }

    private static double Relative(double value, double expected) =>
        double.IsFinite(value) ? Math.Abs(value - expected) / Math.Max(Math.Abs(expected), 1e-30) : double.PositiveInfinity;

    /// <summary>‖a − b‖ / ‖b‖ (or ‖a‖ when b is zero), in double; infinite when a has a NaN or infinity.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double difference = 0, norm = 0;
        for (int k = 0; k < actual.Length; k++)
        {
            if (!float.IsFinite(actual[k])) return double.PositiveInfinity;
            double d = (double)actual[k] - expected[k];
            difference += d * d;
            norm += (double)expected[k] * expected[k];
        }
        return norm > 0 ? Math.Sqrt(difference / norm) : Math.Sqrt(difference);
    }

    public override string ToString() =>
        $"{Network,-12} {Variant,-21} loss {LossError:E1}  output {OutputError:E1}  gradients {WorstGradientError:E1} (worst: {WorstParameter})  loss after 3 steps {LossErrorAfterSteps:E1}";
}
