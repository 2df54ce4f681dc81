using System.Numerics;
using GradGen.Curvature;
using GradGen.Kernels;
using GradGen.Runtime.Tests.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Curvature;

/// <summary>Dual numbers through the activations and the Dense kernel: the tangent of f(z + ε) must be f′(z), and the
/// tangent of f′(z + ε) must be f″(z) (checked by finite differences of f′); <see cref="DualDense"/> (float64 SIMD on
/// value and tangent planes) must give what <see cref="DenseReference"/>'s scalar loops give on Dual.</summary>
public class DualTests
{
    private static readonly double[] Points = [-25, -6, -2.5, -1, -0.3, -1e-3, 0.2, 0.7, 1.5, 3, 19.5, 20.5, 30];

    [Theory]
    [MemberData(nameof(Activations), MemberType = typeof(KernelTestUtil))]
    public void ActivationTangentsAreTheirFirstAndSecondDerivatives(string activation) => With(activation, new DerivativeCheck(activation));

    private sealed class DerivativeCheck(string name) : IActivationVisitor
    {
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            foreach (double z in Points)
            {
                var dz = new Dual(z, 1);
                Dual a = act.Forward(dz);
                Assert.Equal(act.Forward(z), a.Value);
                Assert.Equal(act.Derivative(z, act.Forward(z)), a.Tangent, 14);

                // f″ by Richardson-extrapolated central differences of f′ (away from the kinks at 0 and 20).
                Dual d = act.Derivative(dz, a);
                Assert.Equal(act.Derivative(z, act.Forward(z)), d.Value);
                double FPrime(double x) => act.Derivative(x, act.Forward(x));
                double Central(double h) => (FPrime(z + h) - FPrime(z - h)) / (2 * h);
                double numeric = (4 * Central(5e-5) - Central(1e-4)) / 3;
                Assert.True(Math.Abs(d.Tangent - numeric) <= 1e-8 + 1e-6 * Math.Abs(numeric), $"{name} f″({z}): dual {d.Tangent}, numeric {numeric}");
            }
        }
    }

    private static readonly (int Batch, int In, int Out)[] Shapes = [(1, 1, 1), (3, 17, 5), (9, 40, 33), (17, 5, 64)];

    [Theory]
    [MemberData(nameof(Activations), MemberType = typeof(KernelTestUtil))]
    public void DualDenseMatchesTheScalarReferenceOnDual(string activation) => With(activation, new DenseCheck());

    private sealed class DenseCheck : IActivationVisitor
    {
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            int variant = 0;
            foreach (var (batch, inF, outF) in Shapes)
            {
                for (int options = 0; options < 8; options++, variant++)
                {
                    bool bias = (options & 1) != 0, residual = (options & 2) != 0, padded = (options & 4) != 0;
                    int pad = padded ? 2 + variant % 3 : 0;
                    int ldx = inF + pad, lda = outF + pad + 1, ldr = outF + 2 * pad, ldda = outF + pad, lddx = inF + pad + 2;
                    ulong s = 500 + (ulong)variant * 31;
                    Dual[] x = Duals(batch * ldx, s), w = Duals(outF * inF, s + 2, 0.5), b = bias ? Duals(outF, s + 4) : [];
                    Dual[] r = residual ? Duals(batch * ldr, s + 6) : [];
                    string where = $"{typeof(TAct).Name} ({batch},{inF},{outF}) bias={bias} residual={residual} pad={pad}";

                    Dual[] aRef = Duals(batch * lda, s + 8), aFast = (Dual[])aRef.Clone();
                    Dual[] zRef = new Dual[batch * outF], zFast = new Dual[batch * outF];
                    DenseReference.Forward(aRef, lda, zRef, x, ldx, w, b, r, ldr, batch, inF, outF, act);
                    Dense.Forward(aFast, lda, zFast, x, ldx, w, b, r, ldr, batch, inF, outF, act);
                    Close(aRef, aFast, "a " + where);
                    Close(zRef, zFast, "z " + where);

                    Dual[] da = Duals(batch * ldda, s + 10);
                    for (int dxMode = 0; dxMode < 3; dxMode++)
                    {
                        bool withDx = dxMode > 0, accumulate = dxMode == 2;
                        Dual[] dxRef = withDx ? Duals(batch * lddx, s + 12) : [], dxFast = (Dual[])dxRef.Clone();
                        Dual[] dwRef = Duals(outF * inF, s + 14), dwFast = (Dual[])dwRef.Clone();
                        Dual[] dbRef = bias ? Duals(outF, s + 16) : [], dbFast = (Dual[])dbRef.Clone();
                        Dual[] dzRef = new Dual[batch * outF], dzFast = new Dual[batch * outF];
                        DenseReference.Backward(dxRef, lddx, accumulate, dwRef, dbRef, dzRef, da, ldda, zRef, aRef, lda, x, ldx, w, batch, inF, outF, act);
                        Dense.Backward(dxFast, lddx, accumulate, dwFast, dbFast, dzFast, da, ldda, zRef, aRef, lda, x, ldx, w, batch, inF, outF, act);
                        string w2 = $"{where} dx={dxMode}";
                        Close(dzRef, dzFast, "dz " + w2);
                        Close(dwRef, dwFast, "dw " + w2);
                        Close(dbRef, dbFast, "db " + w2);
                        Close(dxRef, dxFast, "dx " + w2);
                    }
                }
            }
        }
    }

    /// <summary>Inside a network's dual passes (<see cref="DualDense.CurrentPlanes"/> set), the weight and bias come from
    /// <see cref="ParameterPlanes{TPlane}"/>, their gradients go into them, the batch is read from its cached plane, and
    /// the products run in the planes' precision. Each source (the planes, or split from dual numbers: a hidden layer's
    /// input, a weight outside the planes) against <see cref="DenseReference"/>'s scalar loops on Dual: to 1e-13 in
    /// float64, to <see cref="KernelTestUtil.Tolerance{T}"/> of the largest entry in float32, where every product's result
    /// must also be a float (so the float32 kernels ran).</summary>
    [Theory]
    [MemberData(nameof(PlaneCases))]
    public void DualDenseOnParameterPlanesMatchesTheScalarReferenceOnDual(string activation, string precision)
    {
        if (precision == "float") With(activation, new PlaneCheck<float>(Tolerance<float>()));
        else With(activation, new PlaneCheck<double>(1e-13));
    }

    public static IEnumerable<object[]> PlaneCases() =>
        from a in ActivationNames from p in new[] { "float", "double" } select new object[] { a, p };

    private sealed class PlaneCheck<TPlane>(double tolerance) : IActivationVisitor where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
    {
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            int variant = 0;
            foreach (var (batch, inF, outF) in Shapes)
            {
                // input: x is the cached batch (tangent 0); hidden: x is split from dual numbers with tangents;
                // outside: w and b are not the planes' either, so they are split too and dw, db are dual numbers.
                foreach (string source in new[] { "input", "hidden", "outside" })
                {
                    for (int dxMode = 0; dxMode < 3; dxMode++, variant++)
                        Check(act, batch, inF, outF, source, dxMode, bias: variant % 2 == 0, 900 + (ulong)variant * 37);
                }
            }
        }

        private void Check<TAct>(TAct act, int batch, int inF, int outF, string source, int dxMode, bool bias, ulong s)
            where TAct : struct, IActivation
        {
            // The arena of a network with this one layer: [w | b | dw | db | x].
            int wLength = outF * inF, count = wLength + (bias ? outF : 0), xLength = batch * inF;
            var arena = new Dual[2 * count + xLength];
            Duals(count, s, 0.5).CopyTo(arena, 0);
            Duals(count, s + 2).CopyTo(arena, count);
            double[] input = Random<double>(xLength, s + 4);
            for (int i = 0; i < xLength; i++) arena[2 * count + i] = new Dual(input[i]);
            var planes = new ParameterPlanes<TPlane>(arena, count, 2 * count, xLength);
            for (int i = 0; i < count; i++)
            {
                planes.GradientValues[i] = TPlane.CreateTruncating(arena[count + i].Value);
                planes.GradientTangents[i] = TPlane.CreateTruncating(arena[count + i].Tangent);
            }

            Dual[] x = source == "input" ? arena[(2 * count)..] : Duals(xLength, s + 6);
            Dual[] w = source == "outside" ? Duals(wLength, s + 8, 0.5) : arena[..wLength];
            Dual[] b = !bias ? [] : source == "outside" ? Duals(outF, s + 10) : arena[wLength..count];
            // In the planes, the tangents of the parameters are the planes' (the direction v); the reference takes them too.
            for (int i = 0; i < count; i++) planes.Tangents[i] = TPlane.CreateTruncating(arena[i].Tangent);
            bool fromPlanes = source != "outside";
            string where = $"{typeof(TPlane).Name} {typeof(TAct).Name} ({batch},{inF},{outF}) {source} bias={bias} dx={dxMode}";

            var aRef = new Dual[batch * outF];
            var zRef = new Dual[batch * outF];
            DenseReference.Forward(aRef, outF, zRef, x, inF, w, b, [], 0, batch, inF, outF, act);
            var aFast = new Dual[batch * outF];
            var zFast = new Dual[batch * outF];
            Dual[] da = Duals(batch * outF, s + 12);
            bool withDx = dxMode > 0, accumulate = dxMode == 2;
            Dual[] dxRef = withDx ? Duals(xLength, s + 14) : [], dxFast = (Dual[])dxRef.Clone();
            Dual[] dwRef = arena[count..(count + wLength)], dbRef = bias ? arena[(count + wLength)..(2 * count)] : [];
            Dual[] dwOutside = (Dual[])dwRef.Clone(), dbOutside = (Dual[])dbRef.Clone();
            var dzRef = new Dual[batch * outF];
            var dzFast = new Dual[batch * outF];
            DenseReference.Backward(dxRef, inF, accumulate, dwRef, dbRef, dzRef, da, outF, zRef, aRef, outF, x, inF, w, batch, inF, outF, act);

            object? outer = DualDense.CurrentPlanes;
            DualDense.CurrentPlanes = planes;
            try
            {
                ReadOnlySpan<Dual> xs = source == "input" ? arena.AsSpan(2 * count, xLength) : x;
                ReadOnlySpan<Dual> ws = fromPlanes ? arena.AsSpan(0, wLength) : w, bs = fromPlanes && bias ? arena.AsSpan(wLength, outF) : b;
                Span<Dual> dws = fromPlanes ? arena.AsSpan(count, wLength) : dwOutside;
                Span<Dual> dbs = fromPlanes && bias ? arena.AsSpan(count + wLength, outF) : dbOutside;
                Dense.Forward(aFast, outF, zFast, xs, inF, ws, bs, [], 0, batch, inF, outF, act);
                Dense.Backward(dxFast, inF, accumulate, dws, dbs, dzFast, da, outF, zFast, aFast, outF, xs, inF, ws, batch, inF, outF, act);
            }
            finally
            {
                DualDense.CurrentPlanes = outer;
            }

            Close(zRef, zFast, tolerance, "z " + where);
            Close(aRef, aFast, tolerance, "a " + where);
            Close(dzRef, dzFast, tolerance, "dz " + where);
            Close(dxRef, dxFast, tolerance, "dx " + where);
            Dual[] dwFast = fromPlanes ? PlaneDuals(planes, 0, wLength) : dwOutside;
            Dual[] dbFast = fromPlanes ? PlaneDuals(planes, wLength, dbRef.Length) : dbOutside;
            Close(dwRef, dwFast, tolerance, "dw " + where);
            Close(dbRef, dbFast, tolerance, "db " + where);
            if (typeof(TPlane) == typeof(float))
            {
                foreach (Dual d in zFast)
                    Assert.True((double)(float)d.Value == d.Value && (double)(float)d.Tangent == d.Tangent, $"z {where}: {d} is not a float product");
            }
        }

        private static Dual[] PlaneDuals(ParameterPlanes<TPlane> planes, int start, int length) =>
            Enumerable.Range(start, length).Select(i => new Dual(double.CreateTruncating(planes.GradientValues[i]), double.CreateTruncating(planes.GradientTangents[i]))).ToArray();
    }

    private static Dual[] Duals(int length, ulong seed, double scale = 1.0)
    {
        double[] values = Random<double>(length, seed, scale), tangents = Random<double>(length, seed + 1, scale);
        return values.Select((v, i) => new Dual(v, tangents[i])).ToArray();
    }

    private static void Close(Dual[] expected, Dual[] actual, string what) => Close(expected, actual, 1e-13, what);

    private static void Close(Dual[] expected, Dual[] actual, double tolerance, string what)
    {
        AssertClose<double>(expected.Select(d => d.Value).ToArray(), actual.Select(d => d.Value).ToArray(), tolerance, what + " (value)", requireNonzero: false);
        AssertClose<double>(expected.Select(d => d.Tangent).ToArray(), actual.Select(d => d.Tangent).ToArray(), tolerance, what + " (tangent)", requireNonzero: false);
    }
}
