using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>PyTorch's nn.LayerNorm over the last dimension: biased variance, epsilon inside the square root.
/// <see cref="LayerNormReference"/> holds the same two functions as plain loops.</summary>
public static class LayerNorm
{
    /// <summary>y = (x − mean)·rstd·gamma + beta for each row.</summary>
    /// <param name="y">(batch, width) with row stride <paramref name="ldy"/>; may be the same elements as x.</param>
    /// <param name="mean">(batch), kept for the backward; or empty.</param>
    /// <param name="rstd">(batch), 1/√(var + eps), kept for the backward; or empty.</param>
    /// <param name="x">(batch, width) with row stride <paramref name="ldx"/>.</param>
    /// <param name="gamma">(width), or empty for a scale of 1 (elementwise_affine = False).</param>
    /// <param name="beta">(width), or empty for a shift of 0.</param>
    public static void Forward<T>(Span<T> y, int ldy, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int width, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated) Forward<T, Vector512<T>, Simd512<T>>(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width, epsilon);
        else if (Simd256<T>.IsAccelerated) Forward<T, Vector256<T>, Simd256<T>>(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width, epsilon);
        else if (Simd128<T>.IsAccelerated) Forward<T, Vector128<T>, Simd128<T>>(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width, epsilon);
        else LayerNormReference.Forward(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width, epsilon);
    }

    /// <summary><see cref="Forward{T}"/> at the vector width of <typeparamref name="TOps"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Forward<T, TVec, TOps>(Span<T> y, int ldy, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int width, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateForward(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width);
        if (width == 0) return;
        int v = TOps.Count;
        T n = T.CreateTruncating(width);
        fixed (T* py = y, pm = mean, prs = rstd, px = x, pg = gamma, pb = beta)
        {
            for (int i = 0; i < batch; i++)
            {
                T* xi = px + (long)i * ldx, yi = py + (long)i * ldy;
                TVec acc = TOps.Zero;
                int j = 0;
                for (; j <= width - v; j += v) acc = TOps.Add(acc, TOps.Load(xi + j));
                T sum = TOps.Sum(acc);
                for (; j < width; j++) sum += xi[j];
                T m = sum / n;
                // Two passes (mean, then Σ(x − mean)²) rather than Σx² − (Σx)²/n, which cancels catastrophically
                // when |mean| ≫ std.
                TVec mv = TOps.Create(m);
                acc = TOps.Zero;
                for (j = 0; j <= width - v; j += v)
                {
                    TVec d = TOps.Subtract(TOps.Load(xi + j), mv);
                    acc = TOps.MultiplyAdd(d, d, acc);
                }
                T ss = TOps.Sum(acc);
                for (; j < width; j++) ss += (xi[j] - m) * (xi[j] - m);
                T rs = T.One / T.Sqrt(ss / n + epsilon);
                if (pm != null) pm[i] = m;
                if (prs != null) prs[i] = rs;
                TVec rsv = TOps.Create(rs);
                for (j = 0; j <= width - v; j += v)
                {
                    TVec h = TOps.Multiply(TOps.Subtract(TOps.Load(xi + j), mv), rsv);
                    if (pg != null) h = TOps.Multiply(h, TOps.Load(pg + j));
                    if (pb != null) h = TOps.Add(h, TOps.Load(pb + j));
                    TOps.Store(h, yi + j);
                }
                for (; j < width; j++)
                {
                    T h = (xi[j] - m) * rs;
                    if (pg != null) h *= pg[j];
                    if (pb != null) h += pb[j];
                    yi[j] = h;
                }
            }
        }
    }

    /// <summary>In the forward pass this was: y = xhat·gamma + beta, xhat = (x − mean)·rstd.
    /// dgamma += Σ_batch dy·xhat; dbeta += Σ_batch dy; dx = rstd·(g − mean(g) − xhat·mean(g·xhat)) with g = dy·gamma,
    /// written (or added when <paramref name="accumulateDx"/>) unless dx is empty.</summary>
    /// <param name="dx">(batch, width) with row stride <paramref name="lddx"/>, or empty; may be the same elements as dy.</param>
    /// <param name="dgamma">(width), accumulated; or empty.</param>
    /// <param name="dbeta">(width), accumulated; or empty.</param>
    /// <param name="dy">(batch, width) with row stride <paramref name="lddy"/>.</param>
    /// <param name="x">(batch, width) with row stride <paramref name="ldx"/>: the forward's input.</param>
    /// <param name="gamma">(width), or empty for a scale of 1.</param>
    public static void Backward<T>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dgamma, Span<T> dbeta,
        ReadOnlySpan<T> dy, int lddy, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> gamma, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated)
            Backward<T, Vector512<T>, Simd512<T>>(dx, lddx, accumulateDx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        else if (Simd256<T>.IsAccelerated)
            Backward<T, Vector256<T>, Simd256<T>>(dx, lddx, accumulateDx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        else if (Simd128<T>.IsAccelerated)
            Backward<T, Vector128<T>, Simd128<T>>(dx, lddx, accumulateDx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        else
            LayerNormReference.Backward(dx, lddx, accumulateDx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
    }

    /// <summary>The backward pass, with dγ and dβ either accumulated (<paramref name="accumulateParameters"/>, as the
    /// overload without that flag does) or written. Returns whether every value of dγ and dβ is finite afterwards.</summary>
    public static bool Backward<T>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dgamma, Span<T> dbeta, bool accumulateParameters,
        ReadOnlySpan<T> dy, int lddy, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> gamma, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // dγ and dβ are one row of the layer's width: clearing them first costs nothing next to the pass over the batch.
        if (!accumulateParameters)
        {
            dgamma.Clear();
            dbeta.Clear();
        }
        Backward(dx, lddx, accumulateDx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        return Gradients.AllFinite<T>(dgamma) && Gradients.AllFinite<T>(dbeta);
    }

    /// <summary>The backward pass at the vector width of <typeparamref name="TOps"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Backward<T, TVec, TOps>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dgamma, Span<T> dbeta,
        ReadOnlySpan<T> dy, int lddy, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> gamma, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateBackward(dx, lddx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        if (width == 0) return;
        int v = TOps.Count;
        T n = T.CreateTruncating(width);
        fixed (T* pdx = dx, pdg = dgamma, pdb = dbeta, pdy = dy, px = x, pg = gamma)
        {
            for (int i = 0; i < batch; i++)
            {
                T* dxi = pdx + (long)i * lddx, dyi = pdy + (long)i * lddy, xi = px + (long)i * ldx;
                T m = mean[i], rs = rstd[i];
                TVec mv = TOps.Create(m), rsv = TOps.Create(rs);
                // Pass 1: the two row sums dx needs, and the parameter gradients.
                TVec sumG = TOps.Zero, sumGX = TOps.Zero;
                int j = 0;
                for (; j <= width - v; j += v)
                {
                    TVec xhat = TOps.Multiply(TOps.Subtract(TOps.Load(xi + j), mv), rsv);
                    TVec dyv = TOps.Load(dyi + j);
                    TVec g = pg != null ? TOps.Multiply(dyv, TOps.Load(pg + j)) : dyv;
                    sumG = TOps.Add(sumG, g);
                    sumGX = TOps.MultiplyAdd(g, xhat, sumGX);
                    if (pdg != null) TOps.Store(TOps.MultiplyAdd(dyv, xhat, TOps.Load(pdg + j)), pdg + j);
                    if (pdb != null) TOps.Store(TOps.Add(TOps.Load(pdb + j), dyv), pdb + j);
                }
                T sg = TOps.Sum(sumG), sgx = TOps.Sum(sumGX);
                for (; j < width; j++)
                {
                    T xhat = (xi[j] - m) * rs;
                    T g = pg != null ? dyi[j] * pg[j] : dyi[j];
                    sg += g;
                    sgx += g * xhat;
                    if (pdg != null) pdg[j] += dyi[j] * xhat;
                    if (pdb != null) pdb[j] += dyi[j];
                }
                if (pdx == null) continue;
                // Pass 2: dx.
                T meanG = sg / n, meanGX = sgx / n;
                TVec meanGv = TOps.Create(meanG), meanGXv = TOps.Create(meanGX);
                for (j = 0; j <= width - v; j += v)
                {
                    TVec xhat = TOps.Multiply(TOps.Subtract(TOps.Load(xi + j), mv), rsv);
                    TVec dyv = TOps.Load(dyi + j);
                    TVec g = pg != null ? TOps.Multiply(dyv, TOps.Load(pg + j)) : dyv;
                    TVec d = TOps.Multiply(TOps.Subtract(TOps.Subtract(g, meanGv), TOps.Multiply(xhat, meanGXv)), rsv);
                    TOps.Store(accumulateDx ? TOps.Add(TOps.Load(dxi + j), d) : d, dxi + j);
                }
                for (; j < width; j++)
                {
                    T xhat = (xi[j] - m) * rs;
                    T g = pg != null ? dyi[j] * pg[j] : dyi[j];
                    T d = (g - meanG - xhat * meanGX) * rs;
                    dxi[j] = accumulateDx ? dxi[j] + d : d;
                }
            }
        }
    }

    internal static void ValidateForward<T>(Span<T> y, int ldy, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int width)
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(y.Length, batch, width, ldy, nameof(y));
        Guard.Optional(mean.Length, 1, batch, batch, nameof(mean));
        Guard.Optional(rstd.Length, 1, batch, batch, nameof(rstd));
        Guard.Matrix(x.Length, batch, width, ldx, nameof(x));
        Guard.Optional(gamma.Length, 1, width, width, nameof(gamma));
        Guard.Optional(beta.Length, 1, width, width, nameof(beta));
    }

    internal static void ValidateBackward<T>(Span<T> dx, int lddx, Span<T> dgamma, Span<T> dbeta, ReadOnlySpan<T> dy, int lddy,
        ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, ReadOnlySpan<T> gamma, int batch, int width)
    {
        Guard.Sizes(batch, width);
        Guard.Optional(dx.Length, batch, width, lddx, nameof(dx));
        Guard.Optional(dgamma.Length, 1, width, width, nameof(dgamma));
        Guard.Optional(dbeta.Length, 1, width, width, nameof(dbeta));
        Guard.Matrix(dy.Length, batch, width, lddy, nameof(dy));
        Guard.Matrix(x.Length, batch, width, ldx, nameof(x));
        Guard.Matrix(mean.Length, 1, batch, batch, nameof(mean));
        Guard.Matrix(rstd.Length, 1, batch, batch, nameof(rstd));
        Guard.Optional(gamma.Length, 1, width, width, nameof(gamma));
    }
}

/// <summary>The plain scalar version of <see cref="LayerNorm"/> (llm.c's layernorm_forward / layernorm_backward).</summary>
internal static class LayerNormReference
{
    public static void Forward<T>(Span<T> y, int ldy, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, int batch, int width, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LayerNorm.ValidateForward(y, ldy, mean, rstd, x, ldx, gamma, beta, batch, width);
        if (width == 0) return;
        T n = T.CreateTruncating(width);
        for (int i = 0; i < batch; i++)
        {
            T m = T.Zero;
            for (int j = 0; j < width; j++) m += x[i * ldx + j];
            m /= n;
            T var = T.Zero;
            for (int j = 0; j < width; j++)
            {
                T d = x[i * ldx + j] - m;
                var += d * d;
            }
            var /= n;
            T rs = T.One / T.Sqrt(var + epsilon);
            if (!mean.IsEmpty) mean[i] = m;
            if (!rstd.IsEmpty) rstd[i] = rs;
            for (int j = 0; j < width; j++)
            {
                T h = (x[i * ldx + j] - m) * rs;
                if (!gamma.IsEmpty) h *= gamma[j];
                if (!beta.IsEmpty) h += beta[j];
                y[i * ldy + j] = h;
            }
        }
    }

    public static void Backward<T>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dgamma, Span<T> dbeta,
        ReadOnlySpan<T> dy, int lddy, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> gamma, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        LayerNorm.ValidateBackward(dx, lddx, dgamma, dbeta, dy, lddy, x, ldx, mean, rstd, gamma, batch, width);
        if (width == 0) return;
        T n = T.CreateTruncating(width);
        for (int i = 0; i < batch; i++)
        {
            T m = mean[i], rs = rstd[i];
            T sumG = T.Zero, sumGX = T.Zero;
            for (int j = 0; j < width; j++)
            {
                T xhat = (x[i * ldx + j] - m) * rs;
                T g = gamma.IsEmpty ? dy[i * lddy + j] : dy[i * lddy + j] * gamma[j];
                sumG += g;
                sumGX += g * xhat;
                if (!dgamma.IsEmpty) dgamma[j] += dy[i * lddy + j] * xhat;
                if (!dbeta.IsEmpty) dbeta[j] += dy[i * lddy + j];
            }
            if (dx.IsEmpty) continue;
            T meanG = sumG / n, meanGX = sumGX / n;
            for (int j = 0; j < width; j++)
            {
                T xhat = (x[i * ldx + j] - m) * rs;
                T g = gamma.IsEmpty ? dy[i * lddy + j] : dy[i * lddy + j] * gamma[j];
                T d = (g - meanG - xhat * meanGX) * rs;
                if (accumulateDx) dx[i * lddx + j] += d;
                else dx[i * lddx + j] = d;
            }
        }
    }
}
