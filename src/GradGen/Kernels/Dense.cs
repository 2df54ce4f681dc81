using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>A fully connected layer, z = x·wᵀ + b (+ r), a = act(z), and its backward pass.
/// Matrices are row-major; every <c>ld*</c> argument is a row stride in elements (≥ the width), so inputs and outputs
/// can be column slices of a wider buffer (DenseNet concatenation). Empty spans mean "absent".
/// <see cref="DenseReference"/> holds the same two functions as plain loops; the tests compare the two.</summary>
/// <remarks>
/// Aliasing: x must not share elements with a or z (it may share a buffer with them, in other columns); r may not share
/// elements with a or z either. In the backward pass da is read completely into dz before dx is written, so dx may share
/// a buffer with da, even the same elements.
/// No call allocates on the heap, except once per thread: the first forward with batch ≥ 16 and outF ≥ 2 vectors on a
/// thread allocates that thread's 256 KB buffer for packed weights (<see cref="PackBuffer{T}"/>), which later calls reuse.
/// </remarks>
public static class Dense
{
    // Register blocking: the forward computes 4 batch rows × 4 weight rows of dot products at once (16 accumulators,
    // each weight load feeding 4 FMAs and each x load 4); the backward products compute 4 rows × 4 vectors of columns.
    private const int Rows = 4;

    /// <summary>z = x·wᵀ + b (+ r); a = act(z).</summary>
    /// <param name="a">(batch, outF) with row stride <paramref name="lda"/>; may be empty when z is given.</param>
    /// <param name="z">(batch, outF) contiguous, or empty when the caller does not keep the pre-activation.</param>
    /// <param name="x">(batch, inF) with row stride <paramref name="ldx"/>.</param>
    /// <param name="w">(outF, inF), PyTorch's layout.</param>
    /// <param name="b">(outF), or empty for no bias.</param>
    /// <param name="r">(batch, outF) with row stride <paramref name="ldr"/>, a residual added before the activation; or empty.</param>
    public static unsafe void Forward<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> w,
        ReadOnlySpan<T> b, ReadOnlySpan<T> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        ValidateForward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures);
        if (!Simd.Enabled<T>())
        {
            DenseReference.Forward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
            return;
        }
        if (batch == 0 || outFeatures == 0) return;
        if (batch >= 16 && outFeatures >= 2 * Vector512<T>.Count)
        {
            fixed (T* pa = a, pz = z, px = x, pw = w, pb = b, pr = r)
                ForwardPacked(pa, lda, pz, px, ldx, pw, pb, pr, ldr, batch, inFeatures, outFeatures, ref act);
            return;
        }

        // Small batches or few outputs: 4×4 tiles of dot products straight from x and w.
        T* sums = stackalloc T[Rows * Rows];
        // fixed on an empty span gives a null pointer: null means "absent" below.
        fixed (T* pa = a, pz = z, px = x, pw = w, pb = b, pr = r)
        {
            int rowBlocks = (batch + Rows - 1) / Rows, colBlocks = (outFeatures + Rows - 1) / Rows;
            // Loop order: the operand swept by the inner loop is re-read once per outer block, so sweep the smaller
            // of x and w (more likely to stay in L2) and keep the 4 rows of the other one in L1.
            bool batchOuter = outFeatures <= batch;
            int outerCount = batchOuter ? rowBlocks : colBlocks, innerCount = batchOuter ? colBlocks : rowBlocks;
            // Cache blocking along k: when the swept operand is larger than about half of a 1 MB L2, the dot products
            // run over k-slices whose swept panel fits, and the partial sums wait in the output (z, or else a).
            int v = Vector512<T>.Count;
            long sweptRows = batchOuter ? outFeatures : batch;
            long budget = 512 * 1024 / sizeof(T);
            int kc = sweptRows * inFeatures <= budget ? inFeatures : (int)Math.Max(v, budget / sweptRows / v * v);
            T* partial = pz != null ? pz : pa;
            long ldp = pz != null ? outFeatures : lda;
            int k0 = 0;
            while (true)
            {
                int kLen = Math.Min(kc, inFeatures - k0);
                bool first = k0 == 0, last = k0 + kLen >= inFeatures;
                for (int outer = 0; outer < outerCount; outer++)
                {
                    for (int inner = 0; inner < innerCount; inner++)
                    {
                        int i0 = Rows * (batchOuter ? outer : inner), j0 = Rows * (batchOuter ? inner : outer);
                        DotTile(sums, px + k0, ldx, i0, batch, pw + k0, inFeatures, j0, outFeatures, kLen);
                        for (int ri = 0; ri < Rows && i0 + ri < batch; ri++)
                        {
                            int i = i0 + ri;
                            for (int cj = 0; cj < Rows && j0 + cj < outFeatures; cj++)
                            {
                                int j = j0 + cj;
                                T s = sums[ri * Rows + cj];
                                if (!first) s += partial[i * ldp + j];
                                if (!last)
                                {
                                    partial[i * ldp + j] = s;
                                    continue;
                                }
                                // Epilogue, fused while the tile is in L1: bias, residual, store z, activation.
                                if (pb != null) s += pb[j];
                                if (pr != null) s += pr[(long)i * ldr + j];
                                if (pz != null) pz[(long)i * outFeatures + j] = s;
                                if (pa != null) pa[(long)i * lda + j] = act.Forward(s);
                            }
                        }
                    }
                }
                if (last) break;
                k0 += kLen;
            }
        }
    }

    // The forward for batches big enough to amortise a repacking of w, BLIS-style. For each panel of 4v outputs, w's
    // rows are packed transposed (Packing.PackTransposed, v×v register transposes) into wᵀ (kc, 4v): one aligned
    // 256-byte row per k, in a per-thread buffer of 256 KB that stays in L2. kc is the whole of k whenever the panel fits
    // (k ≤ 1024, every MNIST layer), so there is a single pass and no partial sums. Then every 4-row block of x runs
    // the micro-kernel: per k, 4 loads of the wᵀ row, 4 broadcasts of x[i, k], 16 FMAs into 4×4v accumulators
    // (the same broadcast-and-FMA loop as the backward products, with no horizontal sums). For larger k the panel is
    // built one k-slice at a time and the partial sums wait in the output (z, or else a).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPacked<T, TAct>(T* pa, int lda, T* pz, T* px, int ldx, T* pw, T* pb, T* pr, int ldr,
        int batch, int k, int n, ref TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        int v = Vector512<T>.Count, panel = 4 * v;
        int kc = Math.Min(k, PackBuffer<T>.Length / panel);
        T* packed = PackBuffer<T>.Get();
        T* tile = stackalloc T[Rows * panel];
        T* partial = pz != null ? pz : pa;
        long ldp = pz != null ? n : lda;
        bool vectorAct = VectorActivation.IsSupported<T, TAct>();
        for (int n0 = 0; n0 < n; n0 += panel)
        {
            int width = Math.Min(panel, n - n0);
            for (int k0 = 0; ; k0 += kc)
            {
                int kLen = Math.Min(kc, k - k0);
                bool first = k0 == 0, last = k0 + kLen >= k;
                Packing.PackTransposed(packed, panel, pw, k, n0, width, k0, kLen);
                for (int i0 = 0; i0 < batch; i0 += Rows)
                {
                    // Rows past the edge are clamped to the last row: computed, never stored.
                    T* x0 = px + (long)Math.Min(i0, batch - 1) * ldx + k0;
                    T* x1 = px + (long)Math.Min(i0 + 1, batch - 1) * ldx + k0;
                    T* x2 = px + (long)Math.Min(i0 + 2, batch - 1) * ldx + k0;
                    T* x3 = px + (long)Math.Min(i0 + 3, batch - 1) * ldx + k0;
                    Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
                    Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
                    Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
                    Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
                    T* bp = packed;
                    for (int p = 0; p < kLen; p++, bp += panel)
                    {
                        Vector512<T> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + v), b2 = Vector512.Load(bp + 2 * v), b3 = Vector512.Load(bp + 3 * v);
                        Vector512<T> s = Vector512.Create(x0[p]);
                        c00 = Simd.Fma(s, b0, c00); c01 = Simd.Fma(s, b1, c01); c02 = Simd.Fma(s, b2, c02); c03 = Simd.Fma(s, b3, c03);
                        s = Vector512.Create(x1[p]);
                        c10 = Simd.Fma(s, b0, c10); c11 = Simd.Fma(s, b1, c11); c12 = Simd.Fma(s, b2, c12); c13 = Simd.Fma(s, b3, c13);
                        s = Vector512.Create(x2[p]);
                        c20 = Simd.Fma(s, b0, c20); c21 = Simd.Fma(s, b1, c21); c22 = Simd.Fma(s, b2, c22); c23 = Simd.Fma(s, b3, c23);
                        s = Vector512.Create(x3[p]);
                        c30 = Simd.Fma(s, b0, c30); c31 = Simd.Fma(s, b1, c31); c32 = Simd.Fma(s, b2, c32); c33 = Simd.Fma(s, b3, c33);
                    }
                    // Through a stack tile, so that a panel narrower than 4v never stores past the last output.
                    StoreRow(tile, v, false, c00, c01, c02, c03);
                    StoreRow(tile + panel, v, false, c10, c11, c12, c13);
                    StoreRow(tile + 2 * panel, v, false, c20, c21, c22, c23);
                    StoreRow(tile + 3 * panel, v, false, c30, c31, c32, c33);
                    for (int ri = 0; ri < Rows && i0 + ri < batch; ri++)
                    {
                        long i = i0 + ri;
                        T* t = tile + ri * panel;
                        T* part = partial + i * ldp + n0;
                        int c = 0;
                        if (!last || !vectorAct)
                        {
                            // Not the last slice (or an activation without vector members): vector partial sums,
                            // and for the last slice a scalar epilogue.
                            for (; c <= width - v; c += v)
                            {
                                Vector512<T> s = Vector512.Load(t + c);
                                if (!first) s += Vector512.Load(part + c);
                                Vector512.Store(s, last ? t + c : part + c);
                            }
                            for (; c < width; c++)
                            {
                                T s = t[c];
                                if (!first) s += part[c];
                                if (last) t[c] = s;
                                else part[c] = s;
                            }
                            if (!last) continue;
                            for (c = 0; c < width; c++)
                            {
                                // Epilogue: bias, residual, store z, activation.
                                T s = t[c];
                                if (pb != null) s += pb[n0 + c];
                                if (pr != null) s += pr[i * ldr + n0 + c];
                                if (pz != null) pz[i * n + n0 + c] = s;
                                if (pa != null) pa[i * lda + n0 + c] = act.Forward(s);
                            }
                            continue;
                        }
                        // Last slice with a vector activation: the whole epilogue in vectors.
                        for (; c <= width - v; c += v)
                        {
                            Vector512<T> s = Vector512.Load(t + c);
                            if (!first) s += Vector512.Load(part + c);
                            if (pb != null) s += Vector512.Load(pb + n0 + c);
                            if (pr != null) s += Vector512.Load(pr + i * ldr + n0 + c);
                            if (pz != null) Vector512.Store(s, pz + i * n + n0 + c);
                            if (pa != null) Vector512.Store(VectorActivation.Forward(ref act, s), pa + i * lda + n0 + c);
                        }
                        for (; c < width; c++)
                        {
                            T s = t[c];
                            if (!first) s += part[c];
                            if (pb != null) s += pb[n0 + c];
                            if (pr != null) s += pr[i * ldr + n0 + c];
                            if (pz != null) pz[i * n + n0 + c] = s;
                            if (pa != null) pa[i * lda + n0 + c] = act.Forward(s);
                        }
                    }
                }
                if (last) break;
            }
        }
    }

    // sums[ri·4 + cj] = x[i0+ri, :k] · w[j0+cj, :k] for a 4×4 tile (w with row stride ldw). Rows past the edge are clamped to the last row
    // (computed twice, stored never), so one kernel handles every edge without a separate remainder path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotTile<T>(T* sums, T* px, int ldx, int i0, int batch, T* pw, int ldw, int j0, int outFeatures, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        T* x0 = px + (long)Math.Min(i0, batch - 1) * ldx;
        T* x1 = px + (long)Math.Min(i0 + 1, batch - 1) * ldx;
        T* x2 = px + (long)Math.Min(i0 + 2, batch - 1) * ldx;
        T* x3 = px + (long)Math.Min(i0 + 3, batch - 1) * ldx;
        T* w0 = pw + (long)Math.Min(j0, outFeatures - 1) * ldw;
        T* w1 = pw + (long)Math.Min(j0 + 1, outFeatures - 1) * ldw;
        T* w2 = pw + (long)Math.Min(j0 + 2, outFeatures - 1) * ldw;
        T* w3 = pw + (long)Math.Min(j0 + 3, outFeatures - 1) * ldw;
        Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p <= k - v; p += v)
        {
            Vector512<T> xv0 = Vector512.Load(x0 + p), xv1 = Vector512.Load(x1 + p);
            Vector512<T> xv2 = Vector512.Load(x2 + p), xv3 = Vector512.Load(x3 + p);
            Vector512<T> wv = Vector512.Load(w0 + p);
            c00 = Simd.Fma(xv0, wv, c00); c10 = Simd.Fma(xv1, wv, c10); c20 = Simd.Fma(xv2, wv, c20); c30 = Simd.Fma(xv3, wv, c30);
            wv = Vector512.Load(w1 + p);
            c01 = Simd.Fma(xv0, wv, c01); c11 = Simd.Fma(xv1, wv, c11); c21 = Simd.Fma(xv2, wv, c21); c31 = Simd.Fma(xv3, wv, c31);
            wv = Vector512.Load(w2 + p);
            c02 = Simd.Fma(xv0, wv, c02); c12 = Simd.Fma(xv1, wv, c12); c22 = Simd.Fma(xv2, wv, c22); c32 = Simd.Fma(xv3, wv, c32);
            wv = Vector512.Load(w3 + p);
            c03 = Simd.Fma(xv0, wv, c03); c13 = Simd.Fma(xv1, wv, c13); c23 = Simd.Fma(xv2, wv, c23); c33 = Simd.Fma(xv3, wv, c33);
        }
        sums[0] = Vector512.Sum(c00); sums[1] = Vector512.Sum(c01); sums[2] = Vector512.Sum(c02); sums[3] = Vector512.Sum(c03);
        sums[4] = Vector512.Sum(c10); sums[5] = Vector512.Sum(c11); sums[6] = Vector512.Sum(c12); sums[7] = Vector512.Sum(c13);
        sums[8] = Vector512.Sum(c20); sums[9] = Vector512.Sum(c21); sums[10] = Vector512.Sum(c22); sums[11] = Vector512.Sum(c23);
        sums[12] = Vector512.Sum(c30); sums[13] = Vector512.Sum(c31); sums[14] = Vector512.Sum(c32); sums[15] = Vector512.Sum(c33);
        // The k % v leftover columns, scalar.
        for (; p < k; p++)
        {
            T a0 = x0[p], a1 = x1[p], a2 = x2[p], a3 = x3[p];
            T b0 = w0[p], b1 = w1[p], b2 = w2[p], b3 = w3[p];
            sums[0] += a0 * b0; sums[1] += a0 * b1; sums[2] += a0 * b2; sums[3] += a0 * b3;
            sums[4] += a1 * b0; sums[5] += a1 * b1; sums[6] += a1 * b2; sums[7] += a1 * b3;
            sums[8] += a2 * b0; sums[9] += a2 * b1; sums[10] += a2 * b2; sums[11] += a2 * b3;
            sums[12] += a3 * b0; sums[13] += a3 * b1; sums[14] += a3 * b2; sums[15] += a3 * b3;
        }
    }

    /// <summary>The backward pass of <see cref="Forward"/>:
    /// dz = da ⊙ act'(z, a); dw += dzᵀ·x; db += Σ_batch dz; dx = dz·w (or += when <paramref name="accumulateDx"/>).</summary>
    /// <param name="dx">(batch, inF) with row stride <paramref name="lddx"/>, or empty to skip (first layer).</param>
    /// <param name="dw">(outF, inF), accumulated; or empty for a frozen weight.</param>
    /// <param name="db">(outF), accumulated; or empty.</param>
    /// <param name="dz">(batch, outF) contiguous, always written.</param>
    /// <param name="da">(batch, outF) with row stride <paramref name="ldda"/>: the gradient of the loss with respect to a.</param>
    /// <param name="z">(batch, outF) contiguous; may be empty only for <see cref="Identity"/>.</param>
    /// <param name="a">(batch, outF) with row stride <paramref name="lda"/>; when empty it is recomputed from z.</param>
    /// <param name="x">(batch, inF) with row stride <paramref name="ldx"/>; needed when dw is given.</param>
    /// <param name="w">(outF, inF); needed when dx is given.</param>
    public static unsafe void Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        ValidateBackward<T, TAct>(dx, lddx, dw, db, dz, da, ldda, z, a, lda, x, ldx, w, batch, inFeatures, outFeatures);
        if (!Simd.Enabled<T>())
        {
            DenseReference.Backward(dx, lddx, accumulateDx, dw, db, dz, da, ldda, z, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);
            return;
        }
        if (batch == 0 || outFeatures == 0)
        {
            // dz·w over an empty sum is zero.
            if (!accumulateDx && !dx.IsEmpty && inFeatures > 0)
                for (int i = 0; i < batch; i++) dx.Slice(i * lddx, inFeatures).Clear();
            return;
        }

        fixed (T* pdx = dx, pdw = dw, pdb = db, pdz = dz, pda = da, pz = z, pa = a, px = x, pw = w)
        {
            // in the forward pass this was: a = act(z), and z = x·wᵀ + b; the first use of dz (db) is fused in.
            ActivationGradient(pdz, pdb, pda, ldda, pz, pa, lda, batch, outFeatures, ref act);
            // in the forward pass this was: z = x·wᵀ, so dx[i, :] = Σ_j dz[i, j]·w[j, :]
            if (pdx != null && inFeatures > 0)
                BroadcastProduct(pdx, lddx, accumulateDx, pdz, outFeatures, 1, pw, inFeatures, batch, inFeatures, outFeatures);
            // ... and dw[j, :] += Σ_i dz[i, j]·x[i, :]
            if (pdw != null && inFeatures > 0)
                BroadcastProduct(pdw, inFeatures, true, pdz, 1, outFeatures, px, ldx, outFeatures, inFeatures, batch);
        }
    }

    // dz = da ⊙ act'(z, a) over (batch, n), and db += Σ_i dz[i, :]. Walks column strips of one vector so that the
    // db partial sums stay in a register: db receives Σ_i dz once, as PyTorch accumulates a finished gradient.
    private static unsafe void ActivationGradient<T, TAct>(T* dz, T* db, T* da, int ldda, T* z, T* a, int lda, int batch, int n, ref TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        int v = Vector512<T>.Count;
        int j = 0;
        if (VectorActivation.IsSupported<T, TAct>())
        {
            for (; j <= n - v; j += v)
            {
                Vector512<T> sum = Vector512<T>.Zero;
                for (int i = 0; i < batch; i++)
                {
                    Vector512<T> zv = z == null ? Vector512<T>.Zero : Vector512.Load(z + (long)i * n + j);
                    Vector512<T> av = a == null ? VectorActivation.Forward(ref act, zv) : Vector512.Load(a + (long)i * lda + j);
                    Vector512<T> d = Vector512.Load(da + (long)i * ldda + j) * VectorActivation.Derivative(ref act, zv, av);
                    Vector512.Store(d, dz + (long)i * n + j);
                    sum += d;
                }
                if (db != null) Vector512.Store(Vector512.Load(db + j) + sum, db + j);
            }
        }
        for (; j < n; j++)
        {
            T sum = T.Zero;
            for (int i = 0; i < batch; i++)
            {
                T zv = z == null ? T.Zero : z[(long)i * n + j];
                T av = a == null ? act.Forward(zv) : a[(long)i * lda + j];
                T d = da[(long)i * ldda + j] * act.Derivative(zv, av);
                dz[(long)i * n + j] = d;
                sum += d;
            }
            if (db != null) db[j] += sum;
        }
    }

    // c[m, :] (= or +=) Σ_p A(m, p) · b[p, :], with A(m, p) = pa[m·sam + p·sap], c (rows, cols) stride ldc and
    // b (depth, cols) stride ldb. Both backward products have this form, vectorised along the contiguous columns with
    // A broadcast: dx = dz·w (A = dz, b = w) and dw = dzᵀ·x (A = dzᵀ, b = x).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BroadcastProduct<T>(T* c, int ldc, bool accumulate, T* pa, int sam, int sap, T* b, int ldb,
        int rows, int cols, int depth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count;
        int n = 0;
        // Column panels outermost: a panel of b (depth × 4v) is reused from cache by every block of rows.
        for (; n <= cols - 4 * v; n += 4 * v)
        {
            for (int m0 = 0; m0 < rows; m0 += Rows)
            {
                // Rows past the edge are clamped to the last row: computed, never stored.
                T* a0 = pa + (long)Math.Min(m0, rows - 1) * sam;
                T* a1 = pa + (long)Math.Min(m0 + 1, rows - 1) * sam;
                T* a2 = pa + (long)Math.Min(m0 + 2, rows - 1) * sam;
                T* a3 = pa + (long)Math.Min(m0 + 3, rows - 1) * sam;
                Vector512<T> c00 = default, c01 = default, c02 = default, c03 = default;
                Vector512<T> c10 = default, c11 = default, c12 = default, c13 = default;
                Vector512<T> c20 = default, c21 = default, c22 = default, c23 = default;
                Vector512<T> c30 = default, c31 = default, c32 = default, c33 = default;
                T* bp = b + n;
                for (int p = 0; p < depth; p++, bp += ldb)
                {
                    long ap = (long)p * sap;
                    Vector512<T> b0 = Vector512.Load(bp), b1 = Vector512.Load(bp + v), b2 = Vector512.Load(bp + 2 * v), b3 = Vector512.Load(bp + 3 * v);
                    Vector512<T> s = Vector512.Create(a0[ap]);
                    c00 = Simd.Fma(s, b0, c00); c01 = Simd.Fma(s, b1, c01); c02 = Simd.Fma(s, b2, c02); c03 = Simd.Fma(s, b3, c03);
                    s = Vector512.Create(a1[ap]);
                    c10 = Simd.Fma(s, b0, c10); c11 = Simd.Fma(s, b1, c11); c12 = Simd.Fma(s, b2, c12); c13 = Simd.Fma(s, b3, c13);
                    s = Vector512.Create(a2[ap]);
                    c20 = Simd.Fma(s, b0, c20); c21 = Simd.Fma(s, b1, c21); c22 = Simd.Fma(s, b2, c22); c23 = Simd.Fma(s, b3, c23);
                    s = Vector512.Create(a3[ap]);
                    c30 = Simd.Fma(s, b0, c30); c31 = Simd.Fma(s, b1, c31); c32 = Simd.Fma(s, b2, c32); c33 = Simd.Fma(s, b3, c33);
                }
                T* cr = c + (long)m0 * ldc + n;
                StoreRow(cr, v, accumulate, c00, c01, c02, c03);
                if (m0 + 1 < rows) StoreRow(cr + ldc, v, accumulate, c10, c11, c12, c13);
                if (m0 + 2 < rows) StoreRow(cr + 2L * ldc, v, accumulate, c20, c21, c22, c23);
                if (m0 + 3 < rows) StoreRow(cr + 3L * ldc, v, accumulate, c30, c31, c32, c33);
            }
        }
        // Leftover full vectors: 4 rows × 1 vector.
        for (; n <= cols - v; n += v)
        {
            for (int m0 = 0; m0 < rows; m0 += Rows)
            {
                T* a0 = pa + (long)Math.Min(m0, rows - 1) * sam;
                T* a1 = pa + (long)Math.Min(m0 + 1, rows - 1) * sam;
                T* a2 = pa + (long)Math.Min(m0 + 2, rows - 1) * sam;
                T* a3 = pa + (long)Math.Min(m0 + 3, rows - 1) * sam;
                Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default;
                T* bp = b + n;
                for (int p = 0; p < depth; p++, bp += ldb)
                {
                    long ap = (long)p * sap;
                    Vector512<T> b0 = Vector512.Load(bp);
                    c0 = Simd.Fma(Vector512.Create(a0[ap]), b0, c0);
                    c1 = Simd.Fma(Vector512.Create(a1[ap]), b0, c1);
                    c2 = Simd.Fma(Vector512.Create(a2[ap]), b0, c2);
                    c3 = Simd.Fma(Vector512.Create(a3[ap]), b0, c3);
                }
                T* cr = c + (long)m0 * ldc + n;
                StoreVector(cr, accumulate, c0);
                if (m0 + 1 < rows) StoreVector(cr + ldc, accumulate, c1);
                if (m0 + 2 < rows) StoreVector(cr + 2L * ldc, accumulate, c2);
                if (m0 + 3 < rows) StoreVector(cr + 3L * ldc, accumulate, c3);
            }
        }
        // The cols % v leftover columns, scalar.
        for (; n < cols; n++)
        {
            for (int m = 0; m < rows; m++)
            {
                T s = T.Zero;
                T* am = pa + (long)m * sam;
                for (int p = 0; p < depth; p++) s += am[(long)p * sap] * b[(long)p * ldb + n];
                T* cm = c + (long)m * ldc + n;
                *cm = accumulate ? *cm + s : s;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow<T>(T* c, int v, bool accumulate, Vector512<T> c0, Vector512<T> c1, Vector512<T> c2, Vector512<T> c3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        StoreVector(c, accumulate, c0);
        StoreVector(c + v, accumulate, c1);
        StoreVector(c + 2 * v, accumulate, c2);
        StoreVector(c + 3 * v, accumulate, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreVector<T>(T* c, bool accumulate, Vector512<T> value)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Vector512.Store(accumulate ? Vector512.Load(c) + value : value, c);

    internal static void ValidateForward<T>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> w,
        ReadOnlySpan<T> b, ReadOnlySpan<T> r, int ldr, int batch, int inFeatures, int outFeatures)
    {
        Guard.Sizes(batch, inFeatures);
        Guard.Sizes(batch, outFeatures);
        Guard.Optional(a.Length, batch, outFeatures, lda, nameof(a));
        Guard.Optional(z.Length, batch, outFeatures, outFeatures, nameof(z));
        if (a.IsEmpty && z.IsEmpty && batch > 0 && outFeatures > 0)
            throw new ArgumentException("at least one of a and z must be given", nameof(a));
        Guard.Matrix(x.Length, batch, inFeatures, ldx, nameof(x));
        Guard.Matrix(w.Length, outFeatures, inFeatures, inFeatures, nameof(w));
        Guard.Optional(b.Length, 1, outFeatures, outFeatures, nameof(b));
        Guard.Optional(r.Length, batch, outFeatures, ldr, nameof(r));
    }

    internal static void ValidateBackward<T, TAct>(Span<T> dx, int lddx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures)
    {
        Guard.Sizes(batch, inFeatures);
        Guard.Sizes(batch, outFeatures);
        Guard.Matrix(dz.Length, batch, outFeatures, outFeatures, nameof(dz));
        Guard.Matrix(da.Length, batch, outFeatures, ldda, nameof(da));
        Guard.Optional(z.Length, batch, outFeatures, outFeatures, nameof(z));
        Guard.Optional(a.Length, batch, outFeatures, lda, nameof(a));
        if (z.IsEmpty && typeof(TAct) != typeof(Identity) && batch > 0 && outFeatures > 0)
            throw new ArgumentException("z may be empty only for the Identity activation", nameof(z));
        Guard.Optional(dx.Length, batch, inFeatures, lddx, nameof(dx));
        Guard.Optional(dw.Length, outFeatures, inFeatures, inFeatures, nameof(dw));
        Guard.Optional(db.Length, 1, outFeatures, outFeatures, nameof(db));
        if (!dw.IsEmpty) Guard.Matrix(x.Length, batch, inFeatures, ldx, nameof(x));
        if (!dx.IsEmpty) Guard.Matrix(w.Length, outFeatures, inFeatures, inFeatures, nameof(w));
    }
}
