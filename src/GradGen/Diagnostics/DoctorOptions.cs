namespace GradGen.Diagnostics;

/// <summary>The thresholds of <see cref="GradientDoctor.Diagnose{T, TTarget}"/>. The defaults are the article's, and the
/// two ratios are the GG1001/GG1002 analyzers' defaults, so the run-time diagnosis and the build-time forecast judge by
/// the same bounds.</summary>
public sealed record DoctorOptions
{
    /// <summary>A weight matrix whose gradient's L2 norm is below this (and above 0) is vanishing.</summary>
    public double VanishingNorm { get; init; } = 1e-7;

    /// <summary>A weight matrix whose gradient's L2 norm is above this is exploding.</summary>
    public double ExplodingNorm { get; init; } = 1e4;

    /// <summary>‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ below this: the gradient vanishes towards the input (GG1001's default).</summary>
    public double VanishingRatio { get; init; } = 1e-3;

    /// <summary>‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ above this: the gradient explodes towards the input (GG1002's default).</summary>
    public double ExplodingRatio { get; init; } = 1e3;

    /// <summary>A ReLU layer where more than this share of its units is never positive over the batch has dead units.</summary>
    public double DeadFraction { get; init; } = 0.5;

    /// <summary>A sigmoid or tanh layer where more than this share of its outputs is saturated (see
    /// <see cref="Monitoring.Saturation"/>) is saturated.</summary>
    public double SaturatedFraction { get; init; } = 0.5;

    /// <summary>A weight matrix whose measured relative gradient scale differs from the forecast by more than this
    /// factor, either way, is reported.</summary>
    public double ForecastFactor { get; init; } = 10;

    /// <summary>A softmax cross-entropy loss above this many times ln C (C classes: the loss of uniform predictions,
    /// 2.30 for ten) is reported as <see cref="FindingKind.LargeLoss"/>.</summary>
    public double LossFactor { get; init; } = 3;

    /// <summary>Throws naming the first option out of range.</summary>
    internal void Validate()
    {
        Positive(VanishingNorm, nameof(VanishingNorm));
        Positive(ExplodingNorm, nameof(ExplodingNorm));
        Positive(VanishingRatio, nameof(VanishingRatio));
        Positive(ExplodingRatio, nameof(ExplodingRatio));
        if (VanishingNorm >= ExplodingNorm)
            throw new ArgumentOutOfRangeException(nameof(VanishingNorm), VanishingNorm, $"VanishingNorm must be below ExplodingNorm ({ExplodingNorm})");
        if (VanishingRatio >= ExplodingRatio)
            throw new ArgumentOutOfRangeException(nameof(VanishingRatio), VanishingRatio, $"VanishingRatio must be below ExplodingRatio ({ExplodingRatio})");
        Share(DeadFraction, nameof(DeadFraction));
        Share(SaturatedFraction, nameof(SaturatedFraction));
        if (!(LossFactor > 1) || double.IsPositiveInfinity(LossFactor))
            throw new ArgumentOutOfRangeException(nameof(LossFactor), LossFactor, "LossFactor must be a finite number above 1");
        if (!(ForecastFactor > 1) || double.IsPositiveInfinity(ForecastFactor))
            throw new ArgumentOutOfRangeException(nameof(ForecastFactor), ForecastFactor, "ForecastFactor must be a finite number above 1");
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number above 0");
    }

    private static void Share(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a share from 0 up to (not including) 1");
    }
}
