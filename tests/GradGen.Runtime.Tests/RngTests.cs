namespace GradGen.Runtime.Tests;

public class RngTests
{
    [Fact]
    public void SameSeedGivesSameSequence_DifferentSeedDoesNot()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var c = new Rng(43);
        bool anyDifferent = false;
        for (int i = 0; i < 100; i++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            anyDifferent |= x != c.NextUInt64();
        }
        Assert.True(anyDifferent);
    }

    [Fact]
    public void NormalHasUnitMomentsAndUniformStaysInRange()
    {
        var rng = new Rng(7);
        const int n = 200_000;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            double x = rng.NextNormal();
            sum += x;
            sumSq += x * x;
            double u = rng.NextUniform(-2, 3);
            Assert.InRange(u, -2, 3);
        }
        double mean = sum / n, variance = sumSq / n - mean * mean;
        Assert.InRange(mean, -0.01, 0.01);    // standard error 1/√n ≈ 0.0022
        Assert.InRange(variance, 0.98, 1.02);
    }

    [Fact]
    public void ShuffleIsAPermutationAndReproducible()
    {
        int[] a = Enumerable.Range(0, 1000).ToArray();
        int[] b = (int[])a.Clone();
        var r1 = new Rng(5);
        var r2 = new Rng(5);
        r1.Shuffle<int>(a);
        r2.Shuffle<int>(b);
        Assert.Equal(a, b);
        Assert.NotEqual(Enumerable.Range(0, 1000), a);
        Assert.Equal(Enumerable.Range(0, 1000), a.OrderBy(x => x));
    }
}
