using System.Buffers;
using System.Numerics;
using GradGen.Kernels;

namespace GradGen.Curvature;

/// <summary><see cref="Dense"/> on dual numbers through the SIMD kernels. A matrix of dual numbers is two matrices,
/// values and tangents, and every product of dual matrices expands by the product rule into plain products:
/// z = x·wᵀ + b (+ r) gives ż = ẋ·wᵀ + x·ẇᵀ + ḃ (+ ṙ), and the backward's dw = dzᵀ·x and dx = dz·w give
/// dẇ = dżᵀ·x + dzᵀ·ẋ and dẋ = dż·w + dz·ẇ. So one dual forward is three products and one dual backward six, each at
/// full vector width, against the scalar loops <see cref="DenseReference"/> runs on <see cref="Dual"/> (the reference
/// this is tested against). A product with a tangent plane that is all zero is skipped: the input layer's ẋ is 0
/// (inputs are constants), so it costs two products forward and two backward. The activation and its derivative stay
/// element-wise on dual numbers. Same signatures and semantics as <see cref="Dense"/>.</summary>
/// <remarks>Inside <see cref="DualNetwork"/>'s passes, <see cref="CurrentPlanes"/> holds the network's <see cref="ParameterPlanes{TPlane}"/>:
/// the weight and bias are read from them and their gradients accumulated into them, and the products run in their
/// precision, float32 for a float network (on the kernels of its training step) and float64 for a Float64 one
/// (docs/hessian.md, "Precision"). Everything else, and any call outside those passes, splits the dual matrices into
/// float64 planes rented from the shared array pool. The dual numbers around the products stay float64.</remarks>
internal static class DualDense
{
    [ThreadStatic] private static object? t_planes;

    /// <summary>The <see cref="ParameterPlanes{TPlane}"/> (float or double) of the network whose passes run on this
    /// thread, set by <see cref="DualNetwork"/> around them; null elsewhere.</summary>
    internal static object? CurrentPlanes
    {
        get => t_planes;
        set => t_planes = value;
    }

    public static void Forward<TAct>(Span<Dual> a, int lda, Span<Dual> z, ReadOnlySpan<Dual> x, int ldx, ReadOnlySpan<Dual> w,
        ReadOnlySpan<Dual> b, ReadOnlySpan<Dual> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where TAct : struct, IActivation
    {
        Dense.ValidateForward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures);
        if (batch == 0 || outFeatures == 0) return;
        if (t_planes is ParameterPlanes<float> single)
            Forward(single, a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
        else
            Forward(t_planes as ParameterPlanes<double>, a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
    }

    private static void Forward<TPlane, TAct>(ParameterPlanes<TPlane>? parameters, Span<Dual> a, int lda, Span<Dual> z,
        ReadOnlySpan<Dual> x, int ldx, ReadOnlySpan<Dual> w, ReadOnlySpan<Dual> b, ReadOnlySpan<Dual> r, int ldr,
        int batch, int inFeatures, int outFeatures, TAct act)
        where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
        where TAct : struct, IActivation
    {
        Span<TPlane> wv = default, wt = default, bv = default, bt = default;
        bool wInPlanes = parameters is not null && parameters.TryParameters(w, out wv, out wt);
        bool bInPlanes = parameters is not null && parameters.TryParameters(b, out bv, out bt);
        Span<TPlane> xv = default, xt = default;
        bool xIsInput = parameters is not null && parameters.TryInput(x, ldx, batch, inFeatures, out xv);
        int xLength = xIsInput ? 0 : batch * inFeatures, zLength = batch * outFeatures;
        int wLength = wInPlanes ? 0 : outFeatures * inFeatures, bLength = bInPlanes || b.IsEmpty ? 0 : outFeatures;
        using var planes = new Planes<TPlane>(2 * xLength + 2 * wLength + 2 * bLength + 5 * zLength);
        Span<TPlane> rv = planes.Next(r.IsEmpty ? 0 : zLength), rt = planes.Next(r.IsEmpty ? 0 : zLength);
        Span<TPlane> zv = planes.Next(zLength), zt = planes.Next(zLength), tangent = planes.Next(zLength);
        bool inputVaries = !xIsInput && Split(x, ldx, batch, inFeatures, xv = planes.Next(xLength), xt = planes.Next(xLength));
        if (!wInPlanes) Split(w, inFeatures, outFeatures, inFeatures, wv = planes.Next(wLength), wt = planes.Next(wLength));
        if (!bInPlanes && !b.IsEmpty) Split(b, outFeatures, 1, outFeatures, bv = planes.Next(bLength), bt = planes.Next(bLength));
        if (!r.IsEmpty) Split(r, ldr, batch, outFeatures, rv, rt);

        // value: x·wᵀ + b + r; tangent: (x·ẇᵀ + ḃ + ṙ) + ẋ·wᵀ, the first product fed to the second as its residual.
        var identity = default(Identity);
        Dense.Forward(zv, outFeatures, default, xv, inFeatures, wv, bv, rv, outFeatures, batch, inFeatures, outFeatures, identity);
        Dense.Forward(zt, outFeatures, default, xv, inFeatures, wt, bt, rt, outFeatures, batch, inFeatures, outFeatures, identity);
        if (inputVaries)
            Dense.Forward(tangent, outFeatures, default, xt, inFeatures, wv, default, zt, outFeatures, batch, inFeatures, outFeatures, identity);
        else
            tangent = zt;

        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < outFeatures; j++)
            {
                var s = new Dual(double.CreateTruncating(zv[i * outFeatures + j]), double.CreateTruncating(tangent[i * outFeatures + j]));
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
        if (t_planes is ParameterPlanes<float> single)
            Backward(single, dx, lddx, accumulateDx, dw, db, dz, x, ldx, w, batch, inFeatures, outFeatures);
        else
            Backward(t_planes as ParameterPlanes<double>, dx, lddx, accumulateDx, dw, db, dz, x, ldx, w, batch, inFeatures, outFeatures);
    }

    // The bias gradient and the products of the backward pass, from the dual dz already formed.
    private static void Backward<TPlane>(ParameterPlanes<TPlane>? parameters, Span<Dual> dx, int lddx, bool accumulateDx,
        Span<Dual> dw, Span<Dual> db, ReadOnlySpan<Dual> dz, ReadOnlySpan<Dual> x, int ldx, ReadOnlySpan<Dual> w,
        int batch, int inFeatures, int outFeatures)
        where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
    {
        if (!db.IsEmpty)
        {
            Span<TPlane> dbv = default, dbt = default;
            bool dbInPlanes = parameters is not null && parameters.TryGradients(db, out dbv, out dbt);
            for (int j = 0; j < outFeatures; j++)
            {
                Dual s = Dual.Zero;
                for (int i = 0; i < batch; i++) s += dz[i * outFeatures + j];
                if (!dbInPlanes)
                {
                    db[j] += s;
                    continue;
                }
                dbv[j] += TPlane.CreateTruncating(s.Value);
                dbt[j] += TPlane.CreateTruncating(s.Tangent);
            }
        }
        if (batch == 0 || (dw.IsEmpty && dx.IsEmpty)) return;

        // in the forward pass this was: z = x·wᵀ + b. Each Backward call below forms dw += dzᵀ·x and dx = dz·w (or +=)
        // from one pair of planes; three calls give the value and both halves of each tangent.
        Span<TPlane> wv = default, wt = default, dwv = default, dwt = default;
        bool wInPlanes = !dx.IsEmpty && parameters is not null && parameters.TryParameters(w, out wv, out wt);
        bool dwInPlanes = !dw.IsEmpty && parameters is not null && parameters.TryGradients(dw, out dwv, out dwt);
        Span<TPlane> xv = default, xt = default;
        bool xIsInput = !dw.IsEmpty && parameters is not null && parameters.TryInput(x, ldx, batch, inFeatures, out xv);
        int xLength = dw.IsEmpty || xIsInput ? 0 : batch * inFeatures, zLength = batch * outFeatures, dxLength = dx.IsEmpty ? 0 : batch * inFeatures;
        int wLength = dx.IsEmpty || wInPlanes ? 0 : outFeatures * inFeatures, dwLength = dw.IsEmpty || dwInPlanes ? 0 : outFeatures * inFeatures;
        using var planes = new Planes<TPlane>(2 * xLength + 2 * wLength + 3 * zLength + 2 * dwLength + 2 * dxLength);
        Span<TPlane> dzv = planes.Next(zLength), dzt = planes.Next(zLength), scratch = planes.Next(zLength);
        Span<TPlane> dxv = planes.Next(dxLength), dxt = planes.Next(dxLength);
        Split(dz, outFeatures, batch, outFeatures, dzv, dzt);
        bool inputVaries = xLength > 0 && Split(x, ldx, batch, inFeatures, xv = planes.Next(xLength), xt = planes.Next(xLength));
        if (!dx.IsEmpty && !wInPlanes) Split(w, inFeatures, outFeatures, inFeatures, wv = planes.Next(wLength), wt = planes.Next(wLength));
        if (!dw.IsEmpty && !dwInPlanes)
        {
            (dwv = planes.Next(dwLength)).Clear();
            (dwt = planes.Next(dwLength)).Clear();
        }

        var identity = default(Identity);
        // value: dw += dzᵀ·x, dx = dz·w
        Dense.Backward(dxv, inFeatures, false, dwv, default, scratch, dzv, outFeatures, default, default, outFeatures, xv, inFeatures, wv, batch, inFeatures, outFeatures, identity);
        // tangent, first half: dżᵀ·x and dż·w
        Dense.Backward(dxt, inFeatures, false, dwt, default, scratch, dzt, outFeatures, default, default, outFeatures, xv, inFeatures, wv, batch, inFeatures, outFeatures, identity);
        // tangent, second half: + dzᵀ·ẋ and + dz·ẇ; dzᵀ·ẋ is zero when ẋ is (the input layer).
        Span<TPlane> dwtSecond = inputVaries ? dwt : default;
        if (!dwtSecond.IsEmpty || !dx.IsEmpty)
            Dense.Backward(dxt, inFeatures, true, dwtSecond, default, scratch, dzv, outFeatures, default, default, outFeatures, xt, inFeatures, wt, batch, inFeatures, outFeatures, identity);

        for (int k = 0; k < dwLength; k++) dw[k] += new Dual(double.CreateTruncating(dwv[k]), double.CreateTruncating(dwt[k]));
        if (dx.IsEmpty) return;
        for (int i = 0; i < batch; i++)
        {
            for (int k = 0; k < inFeatures; k++)
            {
                var d = new Dual(double.CreateTruncating(dxv[i * inFeatures + k]), double.CreateTruncating(dxt[i * inFeatures + k]));
                if (accumulateDx) dx[i * lddx + k] += d;
                else dx[i * lddx + k] = d;
            }
        }
    }

    /// <summary>The (rows, cols) dual matrix with row stride <paramref name="ld"/> as two contiguous matrices, rounded to
    /// <typeparamref name="TPlane"/>; returns whether any tangent is nonzero.</summary>
    private static bool Split<TPlane>(ReadOnlySpan<Dual> source, int ld, int rows, int cols, Span<TPlane> values, Span<TPlane> tangents)
        where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
    {
        bool varies = false;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<Dual> row = source.Slice(i * ld, cols);
            for (int j = 0; j < cols; j++)
            {
                values[i * cols + j] = TPlane.CreateTruncating(row[j].Value);
                tangents[i * cols + j] = TPlane.CreateTruncating(row[j].Tangent);
                varies |= row[j].Tangent != 0;
            }
        }
        return varies;
    }

    /// <summary>One rented array, handed out in consecutive slices and returned on Dispose.</summary>
    private ref struct Planes<TPlane> where TPlane : unmanaged
    {
        private readonly TPlane[] _buffer;
        private int _used;

        public Planes(int length) => _buffer = ArrayPool<TPlane>.Shared.Rent(Math.Max(length, 1));

        public Span<TPlane> Next(int length)
        {
            var span = _buffer.AsSpan(_used, length);
            _used += length;
            return span;
        }

        public readonly void Dispose() => ArrayPool<TPlane>.Shared.Return(_buffer);
    }
}
