using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class GradientsTests
{
    // Lengths around the 4-vector loop, the 1-vector loop and the scalar tail of every width.
    private static readonly int[] Lengths = [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000];

    [SkippableTheory]
    [MemberData(nameof(WidthsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void AllFiniteMatchesTheScalarCheckAtEveryPosition(int width, string type)
    {
        if (type == "double") AtWidth(width, new FiniteCheck<double>());
        else AtWidth(width, new FiniteCheck<float>());
    }

    [SkippableTheory]
    [MemberData(nameof(WidthsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void WeightedSumMatchesTheScalarLoopBitForBitAndReportsNonFiniteResults(int width, string type)
    {
        if (type == "double") AtWidth(width, new WeightedSumCheck<double>());
        else AtWidth(width, new WeightedSumCheck<float>());
    }

    private sealed class WeightedSumCheck<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public unsafe void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            // 37/128 and 91/128: the weights of a data-parallel step's uneven slices.
            T a = T.CreateTruncating(37.0 / 128), b = T.CreateTruncating(91.0 / 128);
            foreach (int n in Lengths)
            {
                T[] target = Random<T>(n, (ulong)n, 1.0), source = Random<T>(n, (ulong)n + 100, 1.0);
                T[] vector = new T[n], scalar = new T[n], inPlace = (T[])target.Clone();
                fixed (T* pt = target, pv = vector, ps = scalar, pi = inPlace, pq = source)
                {
                    Assert.True(Gradients.WeightedSum<T, TVec, TOps>(pv, pt, a, pq, b, n));
                    Assert.True(Gradients.WeightedSumScalar(ps, pt, a, pq, b, n));
                    Assert.True(Gradients.WeightedSum<T, TVec, TOps>(pi, pi, a, pq, b, n)); // the destination may be x
                }
                Assert.Equal(scalar, vector);
                Assert.Equal(scalar, inPlace);
                for (int i = 0; i < n; i++) Assert.Equal(a * target[i] + b * source[i], scalar[i]);
                foreach (T bad in new[] { T.NaN, T.PositiveInfinity })
                {
                    // Every position of the source, so that each lane of the loop and the tail is seen to report it.
                    for (int i = 0; i < n; i++)
                    {
                        T[] d = new T[n], q = (T[])source.Clone();
                        q[i] = bad;
                        fixed (T* pd = d, pt = target, pq = q) Assert.False(Gradients.WeightedSum<T, TVec, TOps>(pd, pt, a, pq, b, n), $"{typeof(T).Name} n={n}: {bad} at {i}");
                    }
                }
            }
        }
    }

    private sealed class FiniteCheck<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public unsafe void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            foreach (int n in Lengths)
            {
                // Large finite values too: x − x must stay 0 for the largest of them.
                T[] values = Random<T>(n, (ulong)n, 1.0);
                if (n > 2) values[n / 2] = T.CreateTruncating(typeof(T) == typeof(float) ? float.MaxValue : double.MaxValue);
                fixed (T* p = values) Assert.True(Gradients.AllFinite<T, TVec, TOps>(p, n), $"{typeof(T).Name} n={n}: all finite");
                foreach (T bad in new[] { T.NaN, T.PositiveInfinity, T.NegativeInfinity })
                {
                    // Every position, so that each lane of each loop and the tail is seen to report it.
                    for (int i = 0; i < n; i++)
                    {
                        T saved = values[i];
                        values[i] = bad;
                        fixed (T* p = values)
                        {
                            Assert.False(Gradients.AllFinite<T, TVec, TOps>(p, n), $"{typeof(T).Name} n={n}: {bad} at {i}");
                            Assert.False(Gradients.AllFiniteScalar(p, n));
                        }
                        values[i] = saved;
                    }
                }
            }
        }
    }
}

[Collection(nameof(ParallelismTests))]
public class GradientsThreadTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ClearAndAllFiniteGiveTheSameAnswerSplitOverThreads(int threads)
    {
        // Long enough to split into parts at every thread count tested; a non-finite value in the last part.
        const int n = 3 * 64 * 1024 + 5;
        float[] values = Random<float>(n, 7);
        try
        {
            Parallelism.MaxThreads = threads;
            Assert.True(Gradients.AllFinite<float>(values));
            values[n - 2] = float.NaN;
            Assert.False(Gradients.AllFinite<float>(values));
            values[n - 2] = 1;
            values[3] = float.NegativeInfinity;
            Assert.False(Gradients.AllFinite<float>(values));
            Gradients.Clear<float>(values);
            Assert.All(values, v => Assert.Equal(0f, v));
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }
}
