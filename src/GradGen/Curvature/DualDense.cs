using System.Buffers;
using GradGen.Kernels;

namespace GradGen.Curvature;

/// <summary><see cref="Dense"/> on dual numbers through the float64 SIMD kernels. A matrix of dual numbers is two
/// matrices, values and tangents, and every product of dual matrices expands by the product rule into float64 products:
/// z = x·wᵀ + b (+ r) gives ż = ẋ·wᵀ + x·ẇᵀ + ḃ (+ ṙ), and the backward's dw = dzᵀ·x and dx = dz·w give
/// dẇ = dżᵀ·x + dzᵀ·ẋ and dẋ = dż·w + dz·ẇ. So one dual forward is three float64 products and one dual backward six,
/// each at full vector width, against the scalar loops <see cref="DenseReference"/> runs on <see cref="Dual"/> (the
/// reference this is tested against). The activation and its derivative stay element-wise on dual numbers.
/// Same signatures and semantics as <see cref="Dense"/>; the planes are rented from the shared array pool.</summary>
internal static class DualDense
{
    public static void Forward<TAct>(Span<Dual> a, int lda, Span<Dual> z, ReadOnlySpan<Dual> x, int ldx, ReadOnlySpan<Dual> w,
        ReadOnlySpan<Dual> b, ReadOnlySpan<Dual> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where TAct : struct, IActivation
    {
        Dense.ValidateForward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures);
        if (batch == 0 || outFeatures == 0) return;
        int xLength = batch * inFeatures, wLength = outFeatures * inFeatures, zLength = batch * outFeatures;
        using var planes = new Planes(2 * xLength + 2 * wLength + 2 * outFeatures + 5 * zLength);
        Span<double> xv = planes.Next(xLength), xt = planes.Next(xLength), wv = planes.Next(wLength), wt = planes.Next(wLength);
        Span<double> bv = planes.Next(b.IsEmpty ? 0 : outFeatures), bt = planes.Next(b.IsEmpty ? 0 : outFeatures);
        Span<double> rv = planes.Next(r.IsEmpty ? 0 : zLength), rt = planes.Next(r.IsEmpty ? 0 : zLength);
        Span<double> zv = planes.Next(zLength), zt = planes.Next(zLength), tangent = planes.Next(zLength);
        Split(x, ldx, batch, inFeatures, xv, xt);
        Split(w, inFeatures, outFeatures, inFeatures, wv, wt);
        if (!b.IsEmpty) Split(b, outFeatures, 1, outFeatures, bv, bt);
        if (!r.IsEmpty) Split(r, ldr, batch, outFeatures, rv, rt);

        // value: x·wᵀ + b + r; tangent: (x·ẇᵀ + ḃ + ṙ) + ẋ·wᵀ, the first product fed to the second as its residual.
        var identity = default(Identity);
        Dense.Forward(zv, outFeatures, default, xv, inFeatures, wv, bv, rv, outFeatures, batch, inFeatures, outFeatures, identity);
        Dense.Forward(zt, outFeatures, default, xv, inFeatures, wt, bt, rt, outFeatures, batch, inFeatures, outFeatures, identity);
        Dense.Forward(tangent, outFeatures, default, xt, inFeatures, wv, default, zt, outFeatures, batch, inFeatures, outFeatures, identity);

        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                var s = new Dual(zv[i * outFeatures + j], tangent[i * outFeatures + j]);
                if (!z.IsEmpty) z[i * outFeatures + j] = s;
                if (!a.IsEmpty) a[i * lda + j] = act.Forward(s);
            }
        }
    }

    public static void Backward<TAct>(Span<Dual> dx, int lddx, bool accumulateDx, Span<Dual> dw, Span<Dual> db, Span<Dual> dz,
        ReadOnlySpan<Dual> da, int ldda, ReadOnlySpan<Dual> z, ReadOnlySpan<Dual> a, int lda, ReadOnlySpan<Dual> x, int ldx,
        ReadOnlySpan<Dual> w, int batch, int inFeatures, int outFeatures, TAct act)
        where TAct : struct, IActivation
    {
        Dense.ValidateBackward<Dual, TAct>(dx, lddx, dw, db, dz, da, ldda, z, a, lda, x, ldx, w, batch, inFeatures, outFeatures);
        // in the forward pass this was: a = act(z). All of da is read here, before dx (which may alias it) is written.
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                Dual zv = z.IsEmpty ? Dual.Zero : z[i * outFeatures + j];
                Dual av = a.IsEmpty ? act.Forward(zv) : a[i * lda + j];
                dz[i * outFeatures + j] = da[i * ldda + j] * act.Derivative(zv, av);
            }
        }
        if (!db.IsEmpty)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                Dual s = Dual.Zero;
                for (int i = 0; i < batch; i++) s += dz[i * outFeatures + j];
                db[j] += s;
            }
        }
        if (batch == 0 || (dw.IsEmpty && dx.IsEmpty)) return;

        // in the forward pass this was: z = x·wᵀ + b. Each float64 Backward call below forms dw += dzᵀ·x and dx = dz·w
        // (or +=) from one pair of planes; three calls give the value and both halves of each tangent.
        int xLength = dw.IsEmpty ? 0 : batch * inFeatures, wLength = outFeatures * inFeatures, zLength = batch * outFeatures;
        int dwLength = dw.IsEmpty ? 0 : wLength, dxLength = dx.IsEmpty ? 0 : batch * inFeatures, wPlanes = dx.IsEmpty ? 0 : wLength;
        using var planes = new Planes(2 * xLength + 2 * wPlanes + 3 * zLength + 2 * dwLength + 2 * dxLength);
        Span<double> xv = planes.Next(xLength), xt = planes.Next(xLength), wv = planes.Next(wPlanes), wt = planes.Next(wPlanes);
        Span<double> dzv = planes.Next(zLength), dzt = planes.Next(zLength), scratch = planes.Next(zLength);
        Span<double> dwv = planes.Next(dwLength), dwt = planes.Next(dwLength), dxv = planes.Next(dxLength), dxt = planes.Next(dxLength);
        Split(dz, outFeatures, batch, outFeatures, dzv, dzt);
        if (!dw.IsEmpty) Split(x, ldx, batch, inFeatures, xv, xt);
        if (!dx.IsEmpty) Split(w, inFeatures, outFeatures, inFeatures, wv, wt);
        dwv.Clear();
        dwt.Clear();

        var identity = default(Identity);
        // value: dw = dzᵀ·x, dx = dz·w
        Dense.Backward(dxv, inFeatures, false, dwv, default, scratch, dzv, outFeatures, default, default, outFeatures, xv, inFeatures, wv, batch, inFeatures, outFeatures, identity);
        // tangent, first half: dżᵀ·x and dż·w
        Dense.Backward(dxt, inFeatures, false, dwt, default, scratch, dzt, outFeatures, default, default, outFeatures, xv, inFeatures, wv, batch, inFeatures, outFeatures, identity);
        // tangent, second half: + dzᵀ·ẋ and + dz·ẇ
        Dense.Backward(dxt, inFeatures, true, dwt, default, scratch, dzv, outFeatures, default, default, outFeatures, xt, inFeatures, wt, batch, inFeatures, outFeatures, identity);

        for (int k = 0; k < dwLength; k++) dw[k] += new Dual(dwv[k], dwt[k]);
        if (dx.IsEmpty) return;
        for (int i = 0; i < batch; i++)
        {
            for (int k = 0; k < inFeatures; k++)
            {
                var d = new Dual(dxv[i * inFeatures + k], dxt[i * inFeatures + k]);
                if (accumulateDx) dx[i * lddx + k] += d;
                else dx[i * lddx + k] = d;
            }
        }
    }

    /// <summary>The (rows, cols) dual matrix with row stride <paramref name="ld"/> as two contiguous float64 matrices.</summary>
    private static void Split(ReadOnlySpan<Dual> source, int ld, int rows, int cols, Span<double> values, Span<double> tangents)
    {
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<Dual> row = source.Slice(i * ld, cols);
            for (int j = 0; j < cols; j++)
            {
                values[i * cols + j] = row[j].Value;
                tangents[i * cols + j] = row[j].Tangent;
            }
        }
    }

    /// <summary>One rented array, handed out in consecutive slices and returned on Dispose.</summary>
    private ref struct Planes
    {
        private readonly double[] _buffer;
        private int _used;

        public Planes(int length) => _buffer = ArrayPool<double>.Shared.Rent(Math.Max(length, 1));

        public Span<double> Next(int length)
        {
            var span = _buffer.AsSpan(_used, length);
            _used += length;
            return span;
        }

        public readonly void Dispose() => ArrayPool<double>.Shared.Return(_buffer);
    }
}
