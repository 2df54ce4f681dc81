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

    private static Dual[] Duals(int length, ulong seed, double scale = 1.0)
    {
        double[] values = Random<double>(length, seed, scale), tangents = Random<double>(length, seed + 1, scale);
        return values.Select((v, i) => new Dual(v, tangents[i])).ToArray();
    }

    private static void Close(Dual[] expected, Dual[] actual, string what)
    {
        AssertClose<double>(expected.Select(d => d.Value).ToArray(), actual.Select(d => d.Value).ToArray(), 1e-13, what + " (value)", requireNonzero: false);
        AssertClose<double>(expected.Select(d => d.Tangent).ToArray(), actual.Select(d => d.Tangent).ToArray(), 1e-13, what + " (tangent)", requireNonzero: false);
    }
}
