using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class DenseTests
{
    // (batch, inF, outF): edges of the 4×4 register tiles, k shorter and longer than one vector (8 doubles, 16 floats),
    // and the leftover-vector, masked-tail and scalar column paths of the backward products; for the small-batch
    // forward, one row (matrix-vector) and an odd row after pairs, with k not a whole number of vectors and more than
    // one chunk of 64 outputs. A batch of 8–32 takes the transposed forward where the width has it (17–32 floats and
    // 9–16 doubles on AVX-512; 9–32 floats and 8–16 doubles at 256 and 128 bits on x64): (17, 33, 5),
    // (32, 40, 37), (12, 21, 9), (24, 27, 50), (10, 7, 26) and (8, 19, 29) cover its partial groups and partial tiles
    // of outputs (tiles of 3 or 6 rows over 3 groups), a tile's second block of samples (128 bits), k % v leftover depths
    // (k < v too) and batch padding (whole padding vectors: 24 floats at 256 bits, 17 and 24 at 128, 10 doubles).
    private static readonly (int Batch, int In, int Out)[] Shapes =
    [
        (1, 1, 1), (1, 3, 17), (3, 17, 1), (4, 16, 4), (17, 33, 5), (5, 100, 33), (33, 3, 100), (7, 64, 40),
        (100, 17, 3), (9, 129, 11), (1, 100, 70), (7, 35, 130), (2, 20, 9), (32, 40, 37), (12, 21, 9),
        (24, 27, 50), (10, 7, 26), (8, 19, 29),
    ];

    private sealed class SimdMatchesReference : IKernelCheck
    {
        public void Run<T, TAct, TVec, TOps>(TAct act)
            where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
            => Check<T, TAct, TVec, TOps>(act, typeof(T) == typeof(double) ? 1000UL : 2000UL);
    }

    private static void Check<T, TAct, TVec, TOps>(TAct act, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        double tol = Tolerance<T>();
        int variant = 0;
        foreach (var (batch, inF, outF) in Shapes)
        {
            for (int options = 0; options < 8; options++, variant++)
            {
                bool bias = (options & 1) != 0, residual = (options & 2) != 0, padded = (options & 4) != 0;
                bool keepZ = variant % 3 != 2 || typeof(TAct) != typeof(Identity);
                int pad = padded ? 3 + variant % 5 : 0;
                int ldx = inF + pad, lda = outF + pad + 1, ldr = outF + 2 * pad, ldda = outF + pad, lddx = inF + pad + 2;
                ulong s = seed + (ulong)variant * 101;
                T[] x = Random<T>(batch * ldx, s + 1, 2.0);
                T[] w = Random<T>(outF * inF, s + 2, 1.0);
                T[] b = bias ? Random<T>(outF, s + 3) : [];
                T[] r = residual ? Random<T>(batch * ldr, s + 4) : [];
                string where = $"{typeof(T).Name} {typeof(TAct).Name} ({batch},{inF},{outF}) bias={bias} residual={residual} pad={pad}";

                // Forward: a and z from both versions; the padding of a must stay untouched.
                T[] aRef = Random<T>(batch * lda, s + 5), aSimd = (T[])aRef.Clone();
                T[] zRef = keepZ ? new T[batch * outF] : [], zSimd = keepZ ? new T[batch * outF] : [];
                DenseReference.Forward<T, TAct>(aRef, lda, zRef, x, ldx, w, b, r, ldr, batch, inF, outF, act);
                Dense.Forward<T, TAct, TVec, TOps>(aSimd, lda, zSimd, x, ldx, w, b, r, ldr, batch, inF, outF, act);
                AssertClose<T>(aRef, aSimd, tol, "a " + where, requireNonzero: false);
                AssertClose<T>(zRef, zSimd, tol, "z " + where);

                // Backward from the same z and a (so a ReLU kink cannot flip between the two), for each dx mode.
                T[] da = Random<T>(batch * ldda, s + 6);
                T[] aGiven = variant % 4 == 3 ? [] : aRef; // empty a: the kernel recomputes it from z
                for (int dxMode = 0; dxMode < 3; dxMode++)
                {
                    bool withDx = dxMode > 0, accumulate = dxMode == 2;
                    T[] dxRef = withDx ? Random<T>(batch * lddx, s + 7) : [], dxSimd = (T[])dxRef.Clone();
                    T[] dwRef = Random<T>(outF * inF, s + 8), dwSimd = (T[])dwRef.Clone();
                    T[] dbRef = bias ? Random<T>(outF, s + 9) : [], dbSimd = (T[])dbRef.Clone();
                    T[] dzRef = new T[batch * outF], dzSimd = new T[batch * outF];
                    // dx mode 1 also writes dw and db instead of adding to them: the kernel must ignore what they held.
                    bool accumulateDw = dxMode != 1;
                    if (!accumulateDw)
                    {
                        Array.Clear(dwRef);
                        Array.Clear(dbRef);
                    }
                    DenseReference.Backward<T, TAct>(dxRef, lddx, accumulate, dwRef, dbRef, dzRef, da, ldda, zRef, aGiven, lda, x, ldx, w, batch, inF, outF, act);
                    bool finite = Dense.Backward<T, TAct, TVec, TOps>(dxSimd, lddx, accumulate, dwSimd, dbSimd, accumulateDw, dzSimd, da, ldda, zRef, aGiven, lda, x, ldx, w, batch, inF, outF, act);
                    string w2 = $"{where} dx={dxMode} aGiven={aGiven.Length > 0}";
                    Assert.True(finite, "finite inputs reported non-finite gradients " + w2);
                    AssertClose<T>(dzRef, dzSimd, tol, "dz " + w2, requireNonzero: typeof(TAct) != typeof(ReLU));
                    // (written, a ReLU's dw and db are all zero when every output of a small case is cut off)
                    bool nonzero = accumulateDw || typeof(TAct) != typeof(ReLU);
                    AssertClose<T>(dwRef, dwSimd, tol, "dw " + w2, requireNonzero: nonzero);
                    AssertClose<T>(dbRef, dbSimd, tol, "db " + w2, requireNonzero: nonzero);
                    AssertClose<T>(dxRef, dxSimd, tol, "dx " + w2);
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(WidthsActivationsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void SimdMatchesScalarReference(int width, string activation, string type)
        => AtWidth(width, activation, type, new SimdMatchesReference());

    [SkippableTheory]
    [InlineData(512, "float")]
    [InlineData(512, "double")]
    [InlineData(256, "float")]
    [InlineData(256, "double")]
    [InlineData(128, "float")]
    [InlineData(128, "double")]
    public void TransposedForwardHasThePackedForwardsBits(int width, string type)
    {
        Skip.IfNot(width == 512 ? System.Runtime.Intrinsics.X86.Avx512F.IsSupported
            : width == 256 ? System.Runtime.Intrinsics.X86.Avx.IsSupported : System.Runtime.Intrinsics.X86.Sse2.IsSupported,
            "the transposed forward needs x64 register transposes (AVX-512 at 512 bits, AVX at 256, SSE2 at 128)");
        if (type == "double") AtWidth<double>(width, new TransposedBits<double>());
        else AtWidth<float>(width, new TransposedBits<float>());
    }

    private sealed class TransposedBits<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => CheckTransposedBits<T, TVec, TOps>();
    }

    // Each output of the transposed forward must be the packed forward's chain of FMAs, bit for bit: the first rows of
    // every batch from 8 (the smallest packed one) to 32 floats / 16 doubles (transposed where the width takes it: at
    // 128 bits 4 and 8 vectors, the 3 × 4 tile over one or two blocks; at 256 bits 2 and 4, tiles 6 × 2 and 3 × 4)
    // against the same rows inside a batch of 33 / 17 (packed at every width), which computes each row on its own.
    private static void CheckTransposedBits<T, TVec, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        int packedBatch = typeof(T) == typeof(float) ? 33 : 17, outF = 45;
        foreach (int inF in new[] { 7, 37, 200 })
        {
            T[] x = Random<T>(packedBatch * inF, (ulong)inF, 2.0), w = Random<T>(outF * inF, (ulong)inF + 1), b = Random<T>(outF, (ulong)inF + 2);
            T[] aPacked = new T[packedBatch * outF], zPacked = new T[packedBatch * outF];
            Dense.Forward<T, Identity, TVec, TOps>(aPacked, outF, zPacked, x, inF, w, b, [], 0, packedBatch, inF, outF, default);
            for (int batch = 8; batch < packedBatch; batch++)
            {
                T[] a = new T[batch * outF], z = new T[batch * outF];
                Dense.Forward<T, Identity, TVec, TOps>(a, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
                for (int e = 0; e < z.Length; e++)
                    Assert.True(z[e] == zPacked[e], $"{typeof(T).Name} batch {batch} inF {inF}: z[{e / outF}, {e % outF}] = {z[e]}, packed {zPacked[e]}");
            }
        }
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void LargeShapeMatchesReference(int width) => AtWidth<double>(width, new LargeShape());

    private sealed class LargeShape : IWidthCheck<double>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, double> => CheckLargeShape<TVec, TOps>();
    }

    private static void CheckLargeShape<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, double>
    {
        // One product-sized case (MNIST's first layer, batch 64) through every path.
        const int batch = 64, inF = 784, outF = 256;
        double[] x = Random<double>(batch * inF, 1), w = Random<double>(outF * inF, 2, 0.05), b = Random<double>(outF, 3);
        double[] aRef = new double[batch * outF], aSimd = new double[batch * outF], z = new double[batch * outF];
        DenseReference.Forward<double, ReLU>(aRef, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
        Dense.Forward<double, ReLU, TVec, TOps>(aSimd, outF, [], x, inF, w, b, [], 0, batch, inF, outF, default);
        AssertClose<double>(aRef, aSimd, 1e-13, "a");
        double[] da = Random<double>(batch * outF, 4);
        double[] dxRef = new double[batch * inF], dxSimd = new double[batch * inF];
        double[] dwRef = new double[outF * inF], dwSimd = new double[outF * inF];
        double[] dbRef = new double[outF], dbSimd = new double[outF];
        double[] dzRef = new double[batch * outF], dzSimd = new double[batch * outF];
        DenseReference.Backward<double, ReLU>(dxRef, inF, false, dwRef, dbRef, dzRef, da, outF, z, aRef, outF, x, inF, w, batch, inF, outF, default);
        Dense.Backward<double, ReLU, TVec, TOps>(dxSimd, inF, false, dwSimd, dbSimd, true, dzSimd, da, outF, z, aRef, outF, x, inF, w, batch, inF, outF, default);
        AssertClose<double>(dxRef, dxSimd, 1e-13, "dx");
        AssertClose<double>(dwRef, dwSimd, 1e-13, "dw");
        AssertClose<double>(dbRef, dbSimd, 1e-13, "db");
    }

    public static IEnumerable<object[]> BlockedShapes()
    {
        foreach (int width in Widths)
        {
            yield return [width, "double", 130, 1030, 70];
            yield return [width, "float", 130, 2100, 70];
            yield return [width, "double", 16, 9000, 40];
            yield return [width, "float", 12, 9000, 20];
            yield return [width, "double", 5, 70000, 10];
            yield return [width, "float", 7, 70000, 20];
        }
    }

    [SkippableTheory]
    [MemberData(nameof(BlockedShapes))]
    public void CacheBlockedForwardMatchesReference(int width, string type, int batch, int inF, int outF)
    {
        // Both forward paths split k into slices whose partial sums wait in z, or in a when z is not kept: the packed
        // path (batch ≥ 8) when k exceeds what its 256 KB panel holds (k = 9000 at every width, 1030 and 2100 at
        // 512 bits; 20 outputs take the one-vector panels), the dot-product path (small batches: the last two shapes)
        // when the swept operand is larger than its L2 budget.
        AtWidth(width, "GELU", type, new Blocked(batch, inF, outF));
    }

    private sealed class Blocked(int batch, int inF, int outF) : IKernelCheck
    {
        public void Run<T, TAct, TVec, TOps>(TAct act)
            where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
            => CheckBlocked<T, TAct, TVec, TOps>(batch, inF, outF);
    }

    private static void CheckBlocked<T, TAct, TVec, TOps>(int batch, int inF, int outF)
        where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        int ldx = inF + 5, lda = outF + 3;
        T[] x = Random<T>(batch * ldx, 21), w = Random<T>(outF * inF, 22, 0.05), b = Random<T>(outF, 23), r = Random<T>(batch * outF, 24);
        T[] aRef = new T[batch * lda], zRef = new T[batch * outF];
        DenseReference.Forward<T, TAct>(aRef, lda, zRef, x, ldx, w, b, r, outF, batch, inF, outF, default);
        foreach (bool keepZ in new[] { true, false })
        {
            T[] aSimd = new T[batch * lda], zSimd = keepZ ? new T[batch * outF] : [];
            Dense.Forward<T, TAct, TVec, TOps>(aSimd, lda, zSimd, x, ldx, w, b, r, outF, batch, inF, outF, default);
            AssertClose<T>(aRef, aSimd, 10 * Tolerance<T>(), $"a keepZ={keepZ}");
            if (keepZ) AssertClose<T>(zRef, zSimd, 10 * Tolerance<T>(), "z");
        }
    }

    [SkippableTheory]
    [InlineData(512, "float")]
    [InlineData(512, "double")]
    [InlineData(256, "float")]
    [InlineData(128, "double")]
    public void BackwardReportsEveryNonFiniteGradientItWrites(int width, string type)
    {
        if (type == "float") AtWidth<float>(width, new NonFiniteReport<float>());
        else AtWidth<double>(width, new NonFiniteReport<double>());
    }

    private sealed class NonFiniteReport<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => CheckNonFiniteReport<T, TVec, TOps>();
    }

    // The dw check rides on the tiles' stores: a NaN or ∞ must be reported wherever it lands in dw (a main tile, a
    // leftover vector, the masked last vector, a scalar column) or in db, whether dw is written or accumulated; finite
    // values, however large, must not be.
    private static void CheckNonFiniteReport<T, TVec, TOps>()
        where T : unmanaged, IFloatingPointIeee754<T> where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        foreach (var (batch, inF, outF) in new[] { (9, 100, 70), (5, 3, 7), (33, 129, 11) })
        {
            T[] w = Random<T>(outF * inF, 1), da = Random<T>(batch * outF, 2);
            for (int column = 0; column < inF; column += Math.Max(1, inF / 7))
            {
                foreach (bool accumulateDw in new[] { false, true })
                {
                    T[] x = Random<T>(batch * inF, 3);
                    x[(batch - 1) * inF + column] = T.PositiveInfinity; // dw[:, column] becomes ±∞ or NaN
                    Assert.False(Backward(x, da, w, accumulateDw), $"∞ in x column {column}, ({batch}, {inF}, {outF}), accumulate {accumulateDw}");
                }
            }
            T[] xFinite = Random<T>(batch * inF, 3);
            T[] daBig = (T[])da.Clone();
            daBig[0] = T.CreateTruncating(1e30);
            Assert.True(Backward(xFinite, daBig, w, accumulateDw: false), $"finite gradients reported non-finite ({batch}, {inF}, {outF})");
            T[] daNaN = (T[])da.Clone();
            daNaN[outF - 1] = T.NaN; // db[outF − 1] and dw's last row
            Assert.False(Backward(xFinite, daNaN, w, accumulateDw: true), $"NaN in da ({batch}, {inF}, {outF})");

            bool Backward(T[] x, T[] daIn, T[] weights, bool accumulateDw) =>
                Dense.Backward<T, Identity, TVec, TOps>(new T[batch * inF], inF, false, new T[outF * inF], new T[outF], accumulateDw,
                    new T[batch * outF], daIn, outF, [], [], outF, x, inF, weights, batch, inF, outF, default);
        }
    }

    [SkippableTheory]
    [InlineData(512, "float")]
    [InlineData(256, "float")]
    [InlineData(256, "double")]
    [InlineData(128, "float")]
    [InlineData(128, "double")]
    public void BackwardTileShapesHaveTheSameBits(int width, string type)
    {
        if (type == "float") AtWidth<float>(width, new TileShapeBits<float>());
        else AtWidth<double>(width, new TileShapeBits<double>());
    }

    private sealed class TileShapeBits<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => CheckTileShapeBits<T, TVec, TOps>();
    }

    // With 16 registers the backward products take 4 × 3 or 3 × 4 tiles where they pad the rows less than 6 × 2
    // (Tiles.NarrowShape: a batch of 32 in dx, 128 units in dw). Each output must be the same chain of FMAs whatever the
    // tile: both products' forms (A = dz read along its rows, as for dx; A = dzᵀ, as for dw), written and accumulated,
    // over rows that fill the tiles or leave 1–3 rows of a last one, and columns that leave a leftover vector and a tail.
    private static unsafe void CheckTileShapeBits<T, TVec, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count;
        foreach (int rows in new[] { 1, 5, 7, 32, 37, 128 })
        foreach (int cols in new[] { 12 * v, 13 * v + 3, 2 * v + 1 })
        foreach (int depth in new[] { 1, 32, 41 })
        foreach (bool transposedA in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        {
            // A(m, p) = pa[m·sam + p·sap]: rows along sam (dx: sam = depth, sap = 1; dw: sam = 1, sap = rows)
            int sam = transposedA ? 1 : depth, sap = transposedA ? rows : 1, ldc = cols + 3, ldb = cols + 1;
            ulong seed = (ulong)(rows * 7919 + cols * 31 + depth);
            T[] a = Random<T>(rows * depth, seed), b = Random<T>(depth * ldb, seed + 1), start = Random<T>(rows * ldc, seed + 2);
            T[] expected = (T[])start.Clone();
            fixed (T* pa = a, pb = b, pe = expected)
                Assert.True(Dense.BroadcastProduct<T, TVec, TOps>(pe, ldc, accumulate, pa, sam, sap, pb, ldb, rows, cols, depth, shape: 0, check: true));
            foreach (int shape in new[] { 4, 3 })
            {
                T[] c = (T[])start.Clone();
                fixed (T* pa = a, pb = b, pc = c)
                    Assert.True(Dense.BroadcastProduct<T, TVec, TOps>(pc, ldc, accumulate, pa, sam, sap, pb, ldb, rows, cols, depth, shape, check: true));
                for (int e = 0; e < c.Length; e++)
                    Assert.True(c[e].Equals(expected[e]), $"{typeof(T).Name} shape {shape} ({rows}, {cols}, {depth}) transposed {transposedA} accumulate {accumulate}: c[{e / ldc}, {e % ldc}] = {c[e]}, main tile {expected[e]}");
            }
        }
    }

    [Fact]
    public void WrittenGradientsEqualAddingToZerosAtTheProcessWidth()
    {
        // The public entry at whatever width this process runs, the scalar reference included (the
        // DOTNET_EnableHWIntrinsic=0 child of VectorWidthTests): dw and db written over garbage equal dw and db added
        // to zeros, and the finiteness it reports is right.
        const int batch = 9, inF = 37, outF = 21;
        double[] x = Random<double>(batch * inF, 1), w = Random<double>(outF * inF, 2), da = Random<double>(batch * outF, 3);
        double[] z = Random<double>(batch * outF, 4);
        double[] dwAdded = new double[outF * inF], dbAdded = new double[outF];
        double[] dwWritten = Random<double>(outF * inF, 5), dbWritten = Random<double>(outF, 6);
        dwWritten[7] = double.NaN;
        Assert.True(Dense.Backward<double, Tanh>(new double[batch * inF], inF, false, dwAdded, dbAdded, accumulateDw: true,
            new double[batch * outF], da, outF, z, [], outF, x, inF, w, batch, inF, outF, default));
        Assert.True(Dense.Backward<double, Tanh>(new double[batch * inF], inF, false, dwWritten, dbWritten, accumulateDw: false,
            new double[batch * outF], da, outF, z, [], outF, x, inF, w, batch, inF, outF, default));
        Assert.Equal(dwAdded, dwWritten);
        Assert.Equal(dbAdded, dbWritten);

        da[outF + 3] = double.PositiveInfinity;
        Assert.False(Dense.Backward<double, Tanh>(new double[batch * inF], inF, false, dwWritten, dbWritten, accumulateDw: false,
            new double[batch * outF], da, outF, z, [], outF, x, inF, w, batch, inF, outF, default));
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        // L = Σ G ⊙ tanh(x·wᵀ + b + r): checks the reference's (and so the kernel's) semantics, not just agreement.
        const int batch = 3, inF = 5, outF = 4;
        var act = new Tanh();
        double[] x = Random<double>(batch * inF, 11), w = Random<double>(outF * inF, 12), b = Random<double>(outF, 13);
        double[] r = Random<double>(batch * outF, 14), g = Random<double>(batch * outF, 15);
        double Loss()
        {
            var a = new double[batch * outF];
            Dense.Forward<double, Tanh>(a, outF, [], x, inF, w, b, r, outF, batch, inF, outF, act);
            double l = 0;
            for (int i = 0; i < a.Length; i++) l += g[i] * a[i];
            return l;
        }
        var z = new double[batch * outF];
        var aOut = new double[batch * outF];
        Dense.Forward<double, Tanh>(aOut, outF, z, x, inF, w, b, r, outF, batch, inF, outF, act);
        var dx = new double[batch * inF];
        var dw = new double[outF * inF];
        var db = new double[outF];
        var dz = new double[batch * outF];
        Dense.Backward<double, Tanh>(dx, inF, false, dw, db, dz, g, outF, z, aOut, outF, x, inF, w, batch, inF, outF, act);

        AssertGradientMatchesFiniteDifferences(x, dx, Loss, "x");
        AssertGradientMatchesFiniteDifferences(w, dw, Loss, "w");
        AssertGradientMatchesFiniteDifferences(b, db, Loss, "b");
        // dr = dz, since r was added before the activation.
        AssertGradientMatchesFiniteDifferences(r, dz, Loss, "r");
    }

    [Fact]
    public void AccumulatesIntoExistingGradientsAndWritesColumnSlices()
    {
        // DenseNet concatenation: x is columns [0, 3) and a is columns [3, 5) of one buffer with row stride 5.
        const int batch = 2, inF = 3, outF = 2, ld = 5;
        double[] buffer = [1, 2, 3, -1, -1, 4, 5, 6, -1, -1];
        double[] w = [1, 0, -1, 0.5, 0.5, 0.5];
        double[] b = [10, 20];
        Dense.Forward<double, Identity>(buffer.AsSpan(3), ld, [], buffer, ld, w, b, [], 0, batch, inF, outF, default);
        Assert.Equal(new double[] { 1, 2, 3, 1 - 3 + 10, 3 + 20, 4, 5, 6, 4 - 6 + 10, 7.5 + 20 }, buffer);

        double[] da = [1, 2, 3, 4];
        double[] dw = [1, 1, 1, 1, 1, 1], db = [100, 200], dz = new double[4];
        double[] dx = [9, 9, 9, 9, 9, 9];
        Dense.Backward<double, Identity>(dx, inF, true, dw, db, dz, da, outF, [], [], 0, buffer, ld, w, batch, inF, outF, default);
        Assert.Equal(new double[] { 1, 2, 3, 4 }, dz);
        Assert.Equal(new double[] { 104, 206 }, db);
        // dw = 1 + dzᵀx: row 0 = 1·[1,2,3] + 3·[4,5,6]; row 1 = 2·[1,2,3] + 4·[4,5,6]
        Assert.Equal(new double[] { 1 + 13, 1 + 17, 1 + 21, 1 + 18, 1 + 24, 1 + 30 }, dw);
        // dx = 9 + dz·w: row 0 = 1·[1,0,-1] + 2·[.5,.5,.5]; row 1 = 3·[1,0,-1] + 4·[.5,.5,.5]
        Assert.Equal(new double[] { 9 + 2, 9 + 1, 9 + 0, 9 + 5, 9 + 2, 9 - 1 }, dx);
    }

    [Fact]
    public void RejectsSpansTooShortForTheirShapeAndMissingZ()
    {
        double[] x = new double[6], w = new double[6], a = new double[4];
        Assert.Throws<ArgumentException>("x", () => Dense.Forward<double, ReLU>(a, 2, [], x.AsSpan(1), 3, w, [], [], 0, 2, 3, 2, default));
        Assert.Throws<ArgumentOutOfRangeException>("a", () => Dense.Forward<double, ReLU>(a, 1, [], x, 3, w, [], [], 0, 2, 3, 2, default));
        Assert.Throws<ArgumentException>("z", () =>
            Dense.Backward<double, ReLU>([], 0, false, new double[6], [], new double[4], new double[4], 2, [], a, 2, x, 3, w, 2, 3, 2, default));
    }
}
