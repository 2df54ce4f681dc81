using System.Numerics;

namespace GradGen.Kernels;

/// <summary>The plain scalar version of <see cref="Dense"/>: same signatures and semantics, written as triple loops.
/// It is the specification the SIMD kernels are tested against, and the fallback where Vector512 is not accelerated.</summary>
internal static class DenseReference
{
    // x is (batch, inF) stride ldx, w is (outF, inF), b is (outF), r is (batch, outF) stride ldr;
    // z is (batch, outF) contiguous, a is (batch, outF) stride lda.
    public static void Forward<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> w,
        ReadOnlySpan<T> b, ReadOnlySpan<T> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        Dense.ValidateForward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures);
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                T s = T.Zero;
                for (int k = 0; k < inFeatures; k++) s += x[i * ldx + k] * w[j * inFeatures + k];
                if (!b.IsEmpty) s += b[j];
                if (!r.IsEmpty) s += r[i * ldr + j];
                if (!z.IsEmpty) z[i * outFeatures + j] = s;
                if (!a.IsEmpty) a[i * lda + j] = act.Forward(s);
            }
        }
    }

    // dz, z are (batch, outF) contiguous; da stride ldda, a stride lda; x (batch, inF) stride ldx; w (outF, inF);
    // dw (outF, inF), db (outF), dx (batch, inF) stride lddx.
    public static void Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        => Backward(dx, lddx, accumulateDx, dw, db, dz, da, ldda, z, ldz: outFeatures, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);

    // The same with z at row stride ldz (a column slice of a wider layer's).
    public static void Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        Dense.ValidateBackward<T, TAct>(dx, lddx, dw, db, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures);
        // in the forward pass this was: a = act(z)
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                T zv = z.IsEmpty ? T.Zero : z[i * ldz + j];
                T av = a.IsEmpty ? act.Forward(zv) : a[i * lda + j];
                dz[i * outFeatures + j] = da[i * ldda + j] * act.Derivative(zv, av);
            }
        }
        // in the forward pass this was: z = x·wᵀ + b
        if (!db.IsEmpty)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                T s = T.Zero;
                for (int i = 0; i < batch; i++) s += dz[i * outFeatures + j];
                db[j] += s;
            }
        }
        if (!dw.IsEmpty)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                for (int k = 0; k < inFeatures; k++)
                {
                    T s = T.Zero;
                    for (int i = 0; i < batch; i++) s += dz[i * outFeatures + j] * x[i * ldx + k];
                    dw[j * inFeatures + k] += s;
                }
            }
        }
        if (!dx.IsEmpty)
        {
            for (int i = 0; i < batch; i++)
            {
                for (int k = 0; k < inFeatures; k++)
                {
                    T s = T.Zero;
                    for (int j = 0; j < outFeatures; j++) s += dz[i * outFeatures + j] * w[j * inFeatures + k];
                    if (accumulateDx) dx[i * lddx + k] += s;
                    else dx[i * lddx + k] = s;
                }
            }
        }
    }
}
