using GradGen.IO;

namespace GradGen.Tests;

/// <summary>One file of Reference/ (computed by libtorch in float64): inputs, targets, parameters and what PyTorch
/// computed from them. See Reference/README.md for the format.</summary>
internal sealed class ReferenceCase
{
    public SafeTensorsFile File { get; }

    public ReferenceCase(string name)
    {
        File = SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "Reference", name + ".safetensors"));
    }

    public double[] Tensor(string name) => File[name].ToDoubleArray();

    public double Scalar(string name) => File[name].ToDoubleArray().Single();

    public int[] ClassTargets => File["target"].ToInt32Array();

    public int BatchSize => File["input"].Shape[0];

    /// <summary>The normwise relative difference max|a − b| / max|b| (absolute when b is all zeros): it does not blow up
    /// on the elements that are nearly zero, which vanishing gradients are full of.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        if (double.IsNaN(maxDiff) || actual.ToArray().Any(double.IsNaN)) return double.NaN;
        return scale == 0 ? maxDiff : maxDiff / scale;
    }

    public static void AssertClose(string what, ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance)
    {
        double error = RelativeError(actual, expected);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E3} exceeds {tolerance:E0}");
    }
}
