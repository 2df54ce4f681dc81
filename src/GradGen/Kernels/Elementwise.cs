using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>Element-wise kernels on strided (batch, width) matrices: a standalone activation (after LayerNorm, say),
/// its backward, and strided copies for concatenation and residual gradients.
/// <see cref="ElementwiseReference"/> holds the same functions as plain loops. Each call runs at the widest
/// accelerated vector width; the vector activations agree with the scalar ones bit for bit where they are piecewise
/// linear and to a few ulp elsewhere (see <see cref="IVectorActivation"/>).</summary>
public static class Elementwise
{
    /// <summary>s = x (+ r); z = s if z is given; a = act(s).</summary>
    /// <param name="a">(batch, width) with row stride <paramref name="lda"/>; may be the same elements as x or r.</param>
    /// <param name="z">(batch, width) contiguous, or empty.</param>
    /// <param name="x">(batch, width) with row stride <paramref name="ldx"/>.</param>
    /// <param name="r">(batch, width) with row stride <paramref name="ldr"/>, or empty.</param>
    public static void Activate<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> r, int ldr,
        int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        if (!VectorActivation.IsSupported<TAct>()) ElementwiseReference.Activate(a, lda, z, x, ldx, r, ldr, batch, width, act);
        else if (Simd512<T>.IsAccelerated) Activate<T, TAct, Vector512<T>, Simd512<T>>(a, lda, z, x, ldx, r, ldr, batch, width, act);
        else if (Simd256<T>.IsAccelerated) Activate<T, TAct, Vector256<T>, Simd256<T>>(a, lda, z, x, ldx, r, ldr, batch, width, act);
        else if (Simd128<T>.IsAccelerated) Activate<T, TAct, Vector128<T>, Simd128<T>>(a, lda, z, x, ldx, r, ldr, batch, width, act);
        else ElementwiseReference.Activate(a, lda, z, x, ldx, r, ldr, batch, width, act);
    }

    /// <summary><see cref="Activate{T, TAct}"/> at the vector width of <typeparamref name="TOps"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Activate<T, TAct, TVec, TOps>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> r, int ldr,
        int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateActivate(a, lda, z, x, ldx, r, ldr, batch, width);
        int v = TOps.Count;
        fixed (T* pa = a, pz = z, px = x, pr = r)
        {
            for (int i = 0; i < batch; i++)
            {
                T* ai = pa + (long)i * lda, zi = pz + (long)i * width, xi = px + (long)i * ldx, ri = pr + (long)i * ldr;
                int j = 0;
                for (; j <= width - v; j += v)
                {
                    TVec s = TOps.Load(xi + j);
                    if (pr != null) s = TOps.Add(s, TOps.Load(ri + j));
                    if (pz != null) TOps.Store(s, zi + j);
                    TOps.Store(VectorActivation.Forward<T, TAct, TVec, TOps>(ref act, s), ai + j);
                }
                for (; j < width; j++)
                {
                    T s = xi[j];
                    if (pr != null) s += ri[j];
                    if (pz != null) zi[j] = s;
                    ai[j] = act.Forward(s);
                }
            }
        }
    }

    /// <summary>dz = da ⊙ act'(z, a). In the forward pass this was: a = act(z).</summary>
    /// <param name="dz">(batch, width) contiguous; may be the same elements as da when ldda == width.</param>
    /// <param name="z">(batch, width) with row stride <paramref name="ldz"/>; may be empty only for <see cref="Identity"/>.</param>
    /// <param name="a">(batch, width) with row stride <paramref name="lda"/>; when empty it is recomputed from z.</param>
    public static void ActivateBackward<T, TAct>(Span<T> dz, ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz,
        ReadOnlySpan<T> a, int lda, int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        if (!VectorActivation.IsSupported<TAct>()) ElementwiseReference.ActivateBackward(dz, da, ldda, z, ldz, a, lda, batch, width, act);
        else if (Simd512<T>.IsAccelerated) ActivateBackward<T, TAct, Vector512<T>, Simd512<T>>(dz, da, ldda, z, ldz, a, lda, batch, width, act);
        else if (Simd256<T>.IsAccelerated) ActivateBackward<T, TAct, Vector256<T>, Simd256<T>>(dz, da, ldda, z, ldz, a, lda, batch, width, act);
        else if (Simd128<T>.IsAccelerated) ActivateBackward<T, TAct, Vector128<T>, Simd128<T>>(dz, da, ldda, z, ldz, a, lda, batch, width, act);
        else ElementwiseReference.ActivateBackward(dz, da, ldda, z, ldz, a, lda, batch, width, act);
    }

    /// <summary><see cref="ActivateBackward{T, TAct}"/> at the vector width of <typeparamref name="TOps"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void ActivateBackward<T, TAct, TVec, TOps>(Span<T> dz, ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz,
        ReadOnlySpan<T> a, int lda, int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateActivateBackward<T, TAct>(dz, da, ldda, z, ldz, a, lda, batch, width);
        int v = TOps.Count;
        fixed (T* pdz = dz, pda = da, pz = z, pa = a)
        {
            for (int i = 0; i < batch; i++)
            {
                T* dzi = pdz + (long)i * width, dai = pda + (long)i * ldda, zi = pz + (long)i * ldz, ai = pa + (long)i * lda;
                int j = 0;
                for (; j <= width - v; j += v)
                {
                    TVec zv = pz == null ? TOps.Zero : TOps.Load(zi + j);
                    TVec av = pa == null ? VectorActivation.Forward<T, TAct, TVec, TOps>(ref act, zv) : TOps.Load(ai + j);
                    TOps.Store(TOps.Multiply(TOps.Load(dai + j), VectorActivation.Derivative<T, TAct, TVec, TOps>(ref act, zv, av)), dzi + j);
                }
                for (; j < width; j++)
                {
                    T zv = pz == null ? T.Zero : zi[j];
                    T av = pa == null ? act.Forward(zv) : ai[j];
                    dzi[j] = dai[j] * act.Derivative(zv, av);
                }
            }
        }
    }

    /// <summary>dst = src, or dst += src when <paramref name="accumulate"/>; both (batch, width), strided.</summary>
    public static void Copy<T>(Span<T> dst, int ldd, ReadOnlySpan<T> src, int lds, int batch, int width, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(dst.Length, batch, width, ldd, nameof(dst));
        Guard.Matrix(src.Length, batch, width, lds, nameof(src));
        for (int i = 0; i < batch; i++)
        {
            // Span.CopyTo is a vectorised memmove, and correct even if the rows overlap; TensorPrimitives.Add is
            // vectorised at every width (a plain vector loop measured no faster).
            Span<T> d = dst.Slice(i * ldd, width);
            if (accumulate) TensorPrimitives.Add(d, src.Slice(i * lds, width), d);
            else src.Slice(i * lds, width).CopyTo(d);
        }
    }

    internal static void ValidateActivate<T>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> r, int ldr, int batch, int width)
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(a.Length, batch, width, lda, nameof(a));
        Guard.Optional(z.Length, batch, width, width, nameof(z));
        Guard.Matrix(x.Length, batch, width, ldx, nameof(x));
        Guard.Optional(r.Length, batch, width, ldr, nameof(r));
    }

    internal static void ValidateActivateBackward<T, TAct>(Span<T> dz, ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz,
        ReadOnlySpan<T> a, int lda, int batch, int width)
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(dz.Length, batch, width, width, nameof(dz));
        Guard.Matrix(da.Length, batch, width, ldda, nameof(da));
        Guard.Optional(z.Length, batch, width, ldz, nameof(z));
        Guard.Optional(a.Length, batch, width, lda, nameof(a));
        if (z.IsEmpty && typeof(TAct) != typeof(Identity) && batch > 0 && width > 0)
            throw new ArgumentException("z may be empty only for the Identity activation", nameof(z));
    }
}

/// <summary>The plain scalar version of <see cref="Elementwise"/>.</summary>
internal static class ElementwiseReference
{
    public static void Activate<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> r, int ldr,
        int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        Elementwise.ValidateActivate(a, lda, z, x, ldx, r, ldr, batch, width);
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < width; j++)
            {
                T s = x[i * ldx + j];
                if (!r.IsEmpty) s += r[i * ldr + j];
                if (!z.IsEmpty) z[i * width + j] = s;
                a[i * lda + j] = act.Forward(s);
            }
        }
    }

    public static void ActivateBackward<T, TAct>(Span<T> dz, ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz,
        ReadOnlySpan<T> a, int lda, int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        Elementwise.ValidateActivateBackward<T, TAct>(dz, da, ldda, z, ldz, a, lda, batch, width);
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < width; j++)
            {
                T zv = z.IsEmpty ? T.Zero : z[i * ldz + j];
                T av = a.IsEmpty ? act.Forward(zv) : a[i * lda + j];
                dz[i * width + j] = da[i * ldda + j] * act.Derivative(zv, av);
            }
        }
    }

    public static void Copy<T>(Span<T> dst, int ldd, ReadOnlySpan<T> src, int lds, int batch, int width, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(dst.Length, batch, width, ldd, nameof(dst));
        Guard.Matrix(src.Length, batch, width, lds, nameof(src));
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < width; j++)
            {
                if (accumulate) dst[i * ldd + j] += src[i * lds + j];
                else dst[i * ldd + j] = src[i * lds + j];
            }
        }
    }
}
