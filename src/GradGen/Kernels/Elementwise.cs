using System.Numerics;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>Element-wise kernels on strided (batch, width) matrices: a standalone activation (after LayerNorm, say),
/// its backward, and strided copies for concatenation and residual gradients.
/// <see cref="ElementwiseReference"/> holds the same functions as plain loops. Activations without Vector512 members
/// run the scalar loop in both.</summary>
public static class Elementwise
{
    /// <summary>s = x (+ r); z = s if z is given; a = act(s).</summary>
    /// <param name="a">(batch, width) with row stride <paramref name="lda"/>; may be the same elements as x or r.</param>
    /// <param name="z">(batch, width) contiguous, or empty.</param>
    /// <param name="x">(batch, width) with row stride <paramref name="ldx"/>.</param>
    /// <param name="r">(batch, width) with row stride <paramref name="ldr"/>, or empty.</param>
    public static unsafe void Activate<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> r, int ldr,
        int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        ValidateActivate(a, lda, z, x, ldx, r, ldr, batch, width);
        if (!Simd.Enabled<T>() || !VectorActivation.IsBitExact<T, TAct>())
        {
            ElementwiseReference.Activate(a, lda, z, x, ldx, r, ldr, batch, width, act);
            return;
        }
        int v = Vector512<T>.Count;
        fixed (T* pa = a, pz = z, px = x, pr = r)
        {
            for (int i = 0; i < batch; i++)
            {
                T* ai = pa + (long)i * lda, zi = pz + (long)i * width, xi = px + (long)i * ldx, ri = pr + (long)i * ldr;
                int j = 0;
                for (; j <= width - v; j += v)
                {
                    Vector512<T> s = Vector512.Load(xi + j);
                    if (pr != null) s += Vector512.Load(ri + j);
                    if (pz != null) Vector512.Store(s, zi + j);
                    Vector512.Store(VectorActivation.Forward(ref act, s), ai + j);
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
    public static unsafe void ActivateBackward<T, TAct>(Span<T> dz, ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz,
        ReadOnlySpan<T> a, int lda, int batch, int width, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        ValidateActivateBackward<T, TAct>(dz, da, ldda, z, ldz, a, lda, batch, width);
        if (!Simd.Enabled<T>() || !VectorActivation.IsBitExact<T, TAct>())
        {
            ElementwiseReference.ActivateBackward(dz, da, ldda, z, ldz, a, lda, batch, width, act);
            return;
        }
        int v = Vector512<T>.Count;
        fixed (T* pdz = dz, pda = da, pz = z, pa = a)
        {
            for (int i = 0; i < batch; i++)
            {
                T* dzi = pdz + (long)i * width, dai = pda + (long)i * ldda, zi = pz + (long)i * ldz, ai = pa + (long)i * lda;
                int j = 0;
                for (; j <= width - v; j += v)
                {
                    Vector512<T> zv = pz == null ? Vector512<T>.Zero : Vector512.Load(zi + j);
                    Vector512<T> av = pa == null ? VectorActivation.Forward(ref act, zv) : Vector512.Load(ai + j);
                    Vector512.Store(Vector512.Load(dai + j) * VectorActivation.Derivative(ref act, zv, av), dzi + j);
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
    public static unsafe void Copy<T>(Span<T> dst, int ldd, ReadOnlySpan<T> src, int lds, int batch, int width, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(dst.Length, batch, width, ldd, nameof(dst));
        Guard.Matrix(src.Length, batch, width, lds, nameof(src));
        if (!accumulate)
        {
            // Span.CopyTo is a vectorised memmove, and correct even if the rows overlap.
            for (int i = 0; i < batch; i++) src.Slice(i * lds, width).CopyTo(dst.Slice(i * ldd, width));
            return;
        }
        if (!Simd.Enabled<T>())
        {
            ElementwiseReference.Copy(dst, ldd, src, lds, batch, width, accumulate);
            return;
        }
        int v = Vector512<T>.Count;
        fixed (T* pd = dst, ps = src)
        {
            for (int i = 0; i < batch; i++)
            {
                T* di = pd + (long)i * ldd, si = ps + (long)i * lds;
                int j = 0;
                for (; j <= width - v; j += v) Vector512.Store(Vector512.Load(di + j) + Vector512.Load(si + j), di + j);
                for (; j < width; j++) di[j] += si[j];
            }
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
