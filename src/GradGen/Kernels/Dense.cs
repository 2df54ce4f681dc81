using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using GradGen.Curvature;

namespace GradGen.Kernels;

/// <summary>A fully connected layer, z = x·wᵀ + b (+ r), a = act(z), and its backward pass.
/// Matrices are row-major; every <c>ld*</c> argument is a row stride in elements (≥ the width), so inputs and outputs
/// can be column slices of a wider buffer (DenseNet concatenation). Empty spans mean "absent".
/// <see cref="DenseReference"/> holds the same two functions as plain loops; the tests compare the two at every width.
/// On <see cref="Dual"/> numbers (exact Hessian-vector products) both run as float64 products on value and tangent
/// planes (<see cref="DualDense"/>).</summary>
/// <remarks>
/// Each call runs at the widest accelerated vector width (512, 256 or 128 bits; see <see cref="ISimd{TVec, T}"/>), with
/// the register-block shape of that width: 4 rows × 4 vectors where there are 32 vector registers (AVX-512, ARM64),
/// 6 rows × 2 vectors where there are 16 (AVX2, SSE). On x64 a batch of a few vectors (17–32 floats on AVX-512, 9–32
/// at 256 and 128 bits) runs the forward transposed, zᵀ = w·xᵀ, with the same bits. Without SIMD it runs <see cref="DenseReference"/>.
/// Aliasing: x must not share elements with a or z (it may share a buffer with them, in other columns); r may not share
/// elements with a or z either. In the backward pass da is read completely into dz before dx is written, so dx may share
/// a buffer with da, even the same elements.
/// No call allocates on the heap, except once per thread: the first forward with batch ≥ 8 on a thread allocates that
/// thread's 256 KB buffer for packed weights (<see cref="PackBuffer{T}"/>), which later calls reuse.
/// </remarks>
public static class Dense
{
    // The forward packs w once per call; below this batch the packing costs more than it saves, and the dot-product
    // tiles read w in place.
    private const int PackedMinBatch = 8;

    /// <summary>z = x·wᵀ + b (+ r); a = act(z).</summary>
    /// <param name="a">(batch, outF) with row stride <paramref name="lda"/>; may be empty when z is given.</param>
    /// <param name="z">(batch, outF) contiguous, or empty when the caller does not keep the pre-activation.</param>
    /// <param name="x">(batch, inF) with row stride <paramref name="ldx"/>.</param>
    /// <param name="w">(outF, inF), PyTorch's layout.</param>
    /// <param name="b">(outF), or empty for no bias.</param>
    /// <param name="r">(batch, outF) with row stride <paramref name="ldr"/>, a residual added before the activation; or empty.</param>
    public static void Forward<T, TAct>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> w,
        ReadOnlySpan<T> b, ReadOnlySpan<T> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        if (typeof(T) == typeof(Dual))
            DualDense.Forward(AsDual(a), lda, AsDual(z), AsDual(x), ldx, AsDual(w), AsDual(b), AsDual(r), ldr, batch, inFeatures, outFeatures, act);
        else if (Simd512<T>.IsAccelerated)
            Forward<T, TAct, Vector512<T>, Simd512<T>>(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
        else if (Simd256<T>.IsAccelerated)
            Forward<T, TAct, Vector256<T>, Simd256<T>>(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
        else if (Simd128<T>.IsAccelerated)
            Forward<T, TAct, Vector128<T>, Simd128<T>>(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
        else
            DenseReference.Forward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures, act);
    }

    /// <summary><see cref="Forward{T, TAct}"/> at the vector width of <typeparamref name="TOps"/> (the tests call each width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Forward<T, TAct, TVec, TOps>(Span<T> a, int lda, Span<T> z, ReadOnlySpan<T> x, int ldx, ReadOnlySpan<T> w,
        ReadOnlySpan<T> b, ReadOnlySpan<T> r, int ldr, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateForward(a, lda, z, x, ldx, w, b, r, ldr, batch, inFeatures, outFeatures);
        if (batch == 0 || outFeatures == 0) return;
        // fixed on an empty span gives a null pointer: null means "absent" below.
        fixed (T* pa = a, pz = z, px = x, pw = w, pb = b, pr = r)
        {
            var output = new Epilogue<T, TAct>(pa, lda, pz, outFeatures, pb, pr, ldr, act);
            if (batch < PackedMinBatch)
            {
                ForwardDot<T, TAct, TVec, TOps>(ref output, px, ldx, pw, batch, inFeatures, outFeatures);
                return;
            }
            var job = new ForwardJob<T, TAct> { Output = output, X = px, Ldx = ldx, W = pw, Batch = batch, K = inFeatures, N = outFeatures };
            if (TransposedFits<T, TVec, TOps>(batch, inFeatures))
            {
                // Threads split the groups of v outputs.
                int groups = (outFeatures + TOps.Count - 1) / TOps.Count;
                Parallelism.Run(&ForwardTransposedPart<T, TAct, TVec, TOps>, Unsafe.AsPointer(ref job),
                    Math.Min(PartsFor((long)batch * inFeatures * outFeatures), groups));
                return;
            }
            // Threads (Parallelism.MaxThreads) split the panels of w when there are enough of them, else the row tiles.
            var (panel, rowsPerTile) = PackedLayout<T, TVec, TOps>(outFeatures);
            int panels = (outFeatures + panel - 1) / panel, tiles = (batch + rowsPerTile - 1) / rowsPerTile;
            int parts = PartsFor((long)batch * inFeatures * outFeatures);
            job.SplitPanels = panels >= parts;
            if (!job.SplitPanels) parts = Math.Min(parts, tiles);
            Parallelism.Run(&ForwardPart<T, TAct, TVec, TOps>, Unsafe.AsPointer(ref job), parts);
        }
    }

    // A part of a parallel call gets at least this many multiply-adds (about a microsecond of one core), so that small
    // layers stay on one thread.
    private const long MinMultiplyAddsPerPart = 1 << 16;

    private static int PartsFor(long multiplyAdds)
        => (int)Math.Min(Parallelism.AvailableThreads, Math.Max(1, multiplyAdds / MinMultiplyAddsPerPart));

    private unsafe struct ForwardJob<T, TAct>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        public Epilogue<T, TAct> Output;
        public T* X, W;
        public int Ldx, Batch, K, N;
        public bool SplitPanels;
    }

    // One part of a packed forward: a share of the panels of w (every row), or a share of the row tiles (every panel).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardPart<T, TAct, TVec, TOps>(void* context, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ref ForwardJob<T, TAct> job = ref Unsafe.AsRef<ForwardJob<T, TAct>>(context);
        var (panel, rowsPerTile) = PackedLayout<T, TVec, TOps>(job.N);
        int panels = (job.N + panel - 1) / panel, tiles = (job.Batch + rowsPerTile - 1) / rowsPerTile;
        var (p0, p1) = job.SplitPanels ? Parallelism.Share(panels, part, parts) : (0, panels);
        var (t0, t1) = job.SplitPanels ? (0, tiles) : Parallelism.Share(tiles, part, parts);
        ForwardPacked<T, TAct, TVec, TOps>(ref job.Output, job.X, job.Ldx, job.W, job.Batch, job.K, job.N, p0, p1, t0, t1);
    }

    // The packed forward's panel width and rows per tile: the main tile's, or one vector and the column tile's rows
    // when there are fewer outputs than a main panel (a 64 → 10 layer).
    private static (int Panel, int RowsPerTile) PackedLayout<T, TVec, TOps>(int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, main = Tiles<T, TVec, TOps>.Vectors * v;
        return n < main ? (v, Tiles<T, TVec, TOps>.ColumnRows) : (main, Tiles<T, TVec, TOps>.Rows);
    }

    /// <summary>Where the forward's dot products go: the fused epilogue (bias, residual, store z, activation), and the
    /// partial sums of a k-sliced product, which wait in z (or else a) between slices.</summary>
    private unsafe struct Epilogue<T, TAct>(T* a, int lda, T* z, int n, T* b, T* r, int ldr, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        private TAct _act = act;

        public T* Partial(long i) => z != null ? z + i * n : a + i * lda;

        /// <summary>Row i, columns [j0, j0 + width): s = sums (+ the partial sums unless <paramref name="first"/>); then
        /// either the new partial sums, or (when <paramref name="last"/>) the finished outputs. The leftover outputs past
        /// the last whole vector are finished one by one: call <see cref="Rows"/> for an activation that needs vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row<TVec, TOps>(long i, int j0, int width, T* sums, bool first, bool last)
            where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            T* part = Partial(i) + j0;
            int v = TOps.Count, c = 0;
            if (!last || !VectorActivation.IsSupported<TAct>())
            {
                // Not the last slice (or an activation without vector members): vector partial sums, then for the last
                // slice the scalar epilogue.
                for (; c <= width - v; c += v)
                {
                    TVec s = TOps.Load(sums + c);
                    if (!first) s = TOps.Add(s, TOps.Load(part + c));
                    TOps.Store(s, last ? sums + c : part + c);
                }
                for (; c < width; c++)
                {
                    T s = sums[c];
                    if (!first) s += part[c];
                    if (last) sums[c] = s;
                    else part[c] = s;
                }
                if (!last) return;
                for (c = 0; c < width; c++) Finish(i, j0 + c, sums[c]);
                return;
            }
            for (; c <= width - v; c += v)
            {
                TVec s = TOps.Load(sums + c);
                if (!first) s = TOps.Add(s, TOps.Load(part + c));
                long j = j0 + c;
                if (b != null) s = TOps.Add(s, TOps.Load(b + j));
                if (r != null) s = TOps.Add(s, TOps.Load(r + i * ldr + j));
                if (z != null) TOps.Store(s, z + i * n + j);
                if (a != null) TOps.Store(VectorActivation.Forward<T, TAct, TVec, TOps>(ref _act, s), a + i * lda + j);
            }
            // The width % v leftover outputs one by one: piecewise-linear activations (each as cheap as a vector lane),
            // or z alone (no a to activate). Rows gathers the other activations' leftovers of several rows into vectors.
            for (; c < width; c++) Finish(i, j0 + c, first ? sums[c] : sums[c] + part[c]);
        }

        /// <summary>Rows [i0, i0 + rows) of a tile (row stride <paramref name="ldt"/>), columns [j0, j0 + width), as
        /// <see cref="Row"/> does them one by one; except that in the last slice, for an activation that costs a vector
        /// per call (not Identity, ReLU or leaky ReLU), the width % v leftover outputs of all the rows are gathered in
        /// <paramref name="tails"/> (room for <see cref="Tiles{T, TVec, TOps}.ColumnRows"/> vectors) and activated a
        /// vector at a time: the 4 leftover outputs per row of a 100-wide sigmoid layer (100 = 6 × 16 + 4) cost the
        /// tile's 4 rows one vector instead of four. Each lane is activated alone, so the bits are those of Row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Rows<TVec, TOps>(long i0, int rows, int j0, int width, T* tile, int ldt, T* tails, bool first, bool last)
            where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            int v = TOps.Count, tail = width % v;
            bool piecewiseLinear = typeof(TAct) == typeof(Identity) || typeof(TAct) == typeof(ReLU) || typeof(TAct) == typeof(LeakyReLU);
            if (!last || tail == 0 || piecewiseLinear || a == null || !VectorActivation.IsSupported<TAct>())
            {
                for (int ri = 0; ri < rows; ri++) Row<TVec, TOps>(i0 + ri, j0, width, tile + ri * ldt, first, last);
                return;
            }
            int c = width - tail;
            for (int ri = 0; ri < rows; ri++)
            {
                long i = i0 + ri;
                T* sums = tile + ri * ldt;
                if (c > 0) Row<TVec, TOps>(i, j0, c, sums, first, last: true);
                // Bias, residual and z of the leftover outputs one by one, into the run of tails.
                T* part = Partial(i) + j0;
                for (int q = c; q < width; q++)
                {
                    T s = first ? sums[q] : sums[q] + part[q];
                    long j = j0 + q;
                    if (b != null) s += b[j];
                    if (r != null) s += r[i * ldr + j];
                    if (z != null) z[i * n + j] = s;
                    tails[ri * tail + q - c] = s;
                }
            }
            int count = rows * tail;
            for (int t = count; t % v != 0; t++) tails[t] = T.Zero; // the last vector's unused lanes: activated, never stored
            for (int t = 0; t < count; t += v)
                TOps.Store(VectorActivation.Forward<T, TAct, TVec, TOps>(ref _act, TOps.Load(tails + t)), tails + t);
            for (int ri = 0; ri < rows; ri++)
                for (int q = 0; q < tail; q++) a[(i0 + ri) * lda + j0 + c + q] = tails[ri * tail + q];
        }

        /// <summary>One finished dot product s for output (i, j): bias, residual, store z, activation.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Finish(long i, long j, T s)
        {
            if (b != null) s += b[j];
            if (r != null) s += r[i * ldr + j];
            if (z != null) z[i * n + j] = s;
            if (a != null) a[i * lda + j] = _act.Forward(s);
        }
    }

    // Outputs per chunk of the small-batch forward: a multiple of 8 (the tiles' rows of w) and of every vector width.
    private const int DotChunk = 64;

    // Small batches (fewer than PackedMinBatch rows): dot products straight from the rows of x and w, no packing. The
    // outputs go a chunk of DotChunk columns at a time. Within a chunk, each group of 8 rows of w meets every row of x
    // while it is in L1: pairs of x rows through 2 × 4 tiles, and a last odd row (the whole of batch 1, a matrix-vector
    // product) through a 1 × 8 tile, so that no row is computed twice. Then each row's sums take the vector epilogue.
    // Each w row is read from memory once per call; x (at most 7 rows) stays in cache.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardDot<T, TAct, TVec, TOps>(ref Epilogue<T, TAct> output, T* px, int ldx, T* pw,
        int batch, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        T* sums = stackalloc T[PackedMinBatch * DotChunk];
        T* tails = stackalloc T[Tiles<T, TVec, TOps>.ColumnRows * TOps.Count]; // batch < PackedMinBatch ≤ ColumnRows rows
        // k % v leftover depths: when k ≥ v, one more vector ending at column k, with the lanes already summed masked off.
        int v = TOps.Count, kTail = k % v;
        TVec kMask = Tiles<T, TVec, TOps>.LastLanes(kTail);
        for (int j0 = 0; j0 < n; j0 += DotChunk)
        {
            int width = Math.Min(DotChunk, n - j0);
            for (int g = 0; g < width; g += 8)
            {
                T* w = pw + (long)(j0 + g) * k;
                int wRows = Math.Min(8, width - g);
                int i = 0;
                for (; i + 2 <= batch; i += 2)
                {
                    T* s = sums + i * DotChunk + g;
                    Dot2x4<T, TVec, TOps>(s, DotChunk, px + (long)i * ldx, ldx, w, k, Math.Min(4, wRows), k, kMask);
                    if (wRows > 4) Dot2x4<T, TVec, TOps>(s + 4, DotChunk, px + (long)i * ldx, ldx, w + 4L * k, k, wRows - 4, k, kMask);
                }
                if (i < batch) Dot1x8<T, TVec, TOps>(sums + i * DotChunk + g, px + (long)i * ldx, w, k, wRows, k, kMask);
            }
            output.Rows<TVec, TOps>(0, batch, j0, width, sums, DotChunk, tails, first: true, last: true);
        }
    }

    // s[r·lds + c] = x_r · w_c for the x rows x0 and x0 + ldx and the 4 rows of w from pw (row stride ldw), of which the
    // first wRows exist: the others read the last one (computed, stored in the caller's padding). 8 accumulators.
    // When k is not a whole number of vectors, the last step takes the vector ending at k with the lanes already summed
    // zeroed in x (0·w adds 0 for every finite weight); when k < v, everything is scalar.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot2x4<T, TVec, TOps>(T* s, int lds, T* x0, int ldx, T* pw, int ldw, int wRows, int k, TVec kMask)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, vectorEnd = k >= v ? k : 0;
        T* x1 = x0 + ldx;
        T* w0 = pw, w1 = pw + Math.Min(1, wRows - 1) * (long)ldw, w2 = pw + Math.Min(2, wRows - 1) * (long)ldw, w3 = pw + Math.Min(3, wRows - 1) * (long)ldw;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        for (int p = 0; p < vectorEnd; p += v)
        {
            int q = Math.Min(p, k - v);
            TVec xv0 = TOps.Load(x0 + q), xv1 = TOps.Load(x1 + q);
            if (q != p) { xv0 = TOps.And(xv0, kMask); xv1 = TOps.And(xv1, kMask); }
            TVec wv = TOps.Load(w0 + q);
            c00 = TOps.MultiplyAdd(xv0, wv, c00); c10 = TOps.MultiplyAdd(xv1, wv, c10);
            wv = TOps.Load(w1 + q);
            c01 = TOps.MultiplyAdd(xv0, wv, c01); c11 = TOps.MultiplyAdd(xv1, wv, c11);
            wv = TOps.Load(w2 + q);
            c02 = TOps.MultiplyAdd(xv0, wv, c02); c12 = TOps.MultiplyAdd(xv1, wv, c12);
            wv = TOps.Load(w3 + q);
            c03 = TOps.MultiplyAdd(xv0, wv, c03); c13 = TOps.MultiplyAdd(xv1, wv, c13);
        }
        s[0] = TOps.Sum(c00); s[1] = TOps.Sum(c01); s[2] = TOps.Sum(c02); s[3] = TOps.Sum(c03);
        s[lds] = TOps.Sum(c10); s[lds + 1] = TOps.Sum(c11); s[lds + 2] = TOps.Sum(c12); s[lds + 3] = TOps.Sum(c13);
        for (int p = vectorEnd; p < k; p++)
        {
            T a0 = x0[p], a1 = x1[p];
            T b0 = w0[p], b1 = w1[p], b2 = w2[p], b3 = w3[p];
            s[0] += a0 * b0; s[1] += a0 * b1; s[2] += a0 * b2; s[3] += a0 * b3;
            s[lds] += a1 * b0; s[lds + 1] += a1 * b1; s[lds + 2] += a1 * b2; s[lds + 3] += a1 * b3;
        }
    }

    // s[c] = x · w_c for one row x and the 8 rows of w from pw, as Dot2x4 (a matrix-vector product): 8 accumulators,
    // one load of x and 8 of w per step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot1x8<T, TVec, TOps>(T* s, T* x, T* pw, int ldw, int wRows, int k, TVec kMask)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, vectorEnd = k >= v ? k : 0;
        T* w0 = pw, w1 = pw + Math.Min(1, wRows - 1) * (long)ldw, w2 = pw + Math.Min(2, wRows - 1) * (long)ldw, w3 = pw + Math.Min(3, wRows - 1) * (long)ldw;
        T* w4 = pw + Math.Min(4, wRows - 1) * (long)ldw, w5 = pw + Math.Min(5, wRows - 1) * (long)ldw;
        T* w6 = pw + Math.Min(6, wRows - 1) * (long)ldw, w7 = pw + Math.Min(7, wRows - 1) * (long)ldw;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int p = 0; p < vectorEnd; p += v)
        {
            int q = Math.Min(p, k - v);
            TVec xv = TOps.Load(x + q);
            if (q != p) xv = TOps.And(xv, kMask);
            c0 = TOps.MultiplyAdd(xv, TOps.Load(w0 + q), c0);
            c1 = TOps.MultiplyAdd(xv, TOps.Load(w1 + q), c1);
            c2 = TOps.MultiplyAdd(xv, TOps.Load(w2 + q), c2);
            c3 = TOps.MultiplyAdd(xv, TOps.Load(w3 + q), c3);
            c4 = TOps.MultiplyAdd(xv, TOps.Load(w4 + q), c4);
            c5 = TOps.MultiplyAdd(xv, TOps.Load(w5 + q), c5);
            c6 = TOps.MultiplyAdd(xv, TOps.Load(w6 + q), c6);
            c7 = TOps.MultiplyAdd(xv, TOps.Load(w7 + q), c7);
        }
        s[0] = TOps.Sum(c0); s[1] = TOps.Sum(c1); s[2] = TOps.Sum(c2); s[3] = TOps.Sum(c3);
        s[4] = TOps.Sum(c4); s[5] = TOps.Sum(c5); s[6] = TOps.Sum(c6); s[7] = TOps.Sum(c7);
        for (int p = vectorEnd; p < k; p++)
        {
            T a = x[p];
            s[0] += a * w0[p]; s[1] += a * w1[p]; s[2] += a * w2[p]; s[3] += a * w3[p];
            s[4] += a * w4[p]; s[5] += a * w5[p]; s[6] += a * w6[p]; s[7] += a * w7[p];
        }
    }

    // The forward for batches big enough to amortise a repacking of w, BLIS-style. For each panel of outputs (the
    // register block's width: 4 vectors on AVX-512, 2 on AVX2; 1 vector when there are fewer outputs than that, as in
    // a 64 → 10 layer), w's rows are packed transposed (Packing.PackTransposed) into wᵀ (kc, panel): one aligned row
    // per k, in a per-thread buffer of 256 KB that stays in L2. kc is the whole of k whenever the panel fits (every
    // MNIST layer), so there is a single pass and no partial sums. Then every block of x rows runs the micro-kernel:
    // per k, loads of the wᵀ row, broadcasts of x[i, k] and FMAs into rows × vectors accumulators (the same
    // broadcast-and-FMA tiles as the backward products). For larger k the panel is built one k-slice at a time and
    // the partial sums wait in the output (z, or else a).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // This call computes the panels [panelStart, panelEnd) for the row tiles [tileStart, tileEnd).
    private static unsafe void ForwardPacked<T, TAct, TVec, TOps>(ref Epilogue<T, TAct> output, T* px, int ldx, T* pw,
        int batch, int k, int n, int panelStart, int panelEnd, int tileStart, int tileEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        var (panel, rowsPerTile) = PackedLayout<T, TVec, TOps>(n);
        bool narrow = panel == TOps.Count;
        int kc = Math.Min(k, PackBuffer<T>.Length / panel);
        T* packed = PackBuffer<T>.Get();
        T* tile = stackalloc T[Tiles<T, TVec, TOps>.MaxTileElements];
        T* tails = stackalloc T[Tiles<T, TVec, TOps>.ColumnRows * TOps.Count];
        int rowEnd = Math.Min(batch, tileEnd * rowsPerTile);
        for (int n0 = panelStart * panel; n0 < Math.Min(n, panelEnd * panel); n0 += panel)
        {
            int width = Math.Min(panel, n - n0);
            for (int k0 = 0; ; k0 += kc)
            {
                int kLen = Math.Min(kc, k - k0);
                bool first = k0 == 0, last = k0 + kLen >= k;
                Packing.PackTransposed<T, TVec, TOps>(packed, panel, pw, k, n0, width, k0, kLen);
                for (int i0 = tileStart * rowsPerTile; i0 < rowEnd; i0 += rowsPerTile)
                {
                    int rows = Math.Min(rowsPerTile, batch - i0);
                    T* x0 = px + (long)i0 * ldx + k0;
                    // Through a stack tile, so that a panel narrower than its vectors never stores past the last output.
                    if (narrow) Tiles<T, TVec, TOps>.Column(tile, panel, false, x0, ldx, 1, rows, packed, panel, kLen);
                    else Tiles<T, TVec, TOps>.Main(tile, panel, false, x0, ldx, 1, rows, packed, panel, kLen);
                    output.Rows<TVec, TOps>(i0, rows, n0, width, tile, panel, tails, first, last);
                }
                if (last) break;
            }
        }
    }

    // The transposed forward runs where xᵀ (k, the batch's vectors of samples) fits the pack buffer (k ≤ 2048 at 32
    // samples) and the batch needs more than half of those vectors (TransposedVectors).
    private static bool TransposedFits<T, TVec, TOps>(int batch, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int vectors = TransposedVectors<T, TVec, TOps>(batch);
        return vectors > 0 && (long)k * vectors * TOps.Count <= PackBuffer<T>.Length;
    }

    // Vectors of samples in the transposed forward's xᵀ for this batch, or 0 where the forward is not transposed: the
    // fewest of the width's choices that hold the batch, if the batch fills more than half of them. AVX-512: 2 (17–32
    // floats, 9–16 doubles). AVX at 256 bits: 2 or 4 (9–32 floats, 5–16 doubles). x64 at 128 bits: 4 or 8 (9–32
    // floats, 5–16 doubles). ARM64 is not transposed (untested here): it keeps the packed forward.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TransposedVectors<T, TVec, TOps>(int batch)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int most = typeof(TVec) == typeof(Vector512<T>) && System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? 2
            : typeof(TVec) == typeof(Vector256<T>) && System.Runtime.Intrinsics.X86.Avx.IsSupported ? 4
            : typeof(TVec) == typeof(Vector128<T>) && System.Runtime.Intrinsics.X86.Sse2.IsSupported ? 8 : 0;
        if (most == 0) return 0;
        int least = typeof(TVec) == typeof(Vector512<T>) ? most : most / 2;
        for (int vectors = least; vectors <= most; vectors *= 2)
        {
            if (batch <= vectors * TOps.Count) return 2 * batch > vectors * TOps.Count ? vectors : 0;
        }
        return 0;
    }

    // The transposed forward's register tile for xᵀ of this many vectors: rows of w × vectors of samples. With 32
    // registers (AVX-512) 8 × 2; with 16, 3 × 4 (12 accumulators, 3 broadcasts, one vector of xᵀ), run over each block
    // of 4 vectors of xᵀ in turn at 128 bits (8 vectors for 32 floats), and 6 × 2 for two vectors (256 bits, 9–16
    // floats: 12 accumulators, 2 loads of xᵀ, one broadcast). Measured at 128 bits for 32 floats (docs/benchmarks.md,
    // "The transposed forward at 128 bits"): 3 × 4 over two blocks beat 6 × 2 over four and 1 × 8 (8 accumulators).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Rows, int Vectors) TransposedTile<T, TVec>(int vectors) where T : unmanaged
        => typeof(TVec) == typeof(Vector512<T>) ? (8, 2) : vectors == 2 ? (6, 2) : (3, 4);

    // dst (v samples, v outputs) = the v × v block of src (outputs with row stride lds, samples) whose first rows rows exist.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TransposeBlock<T, TVec>(T* src, long lds, int rows, T* dst, long ldd) where T : unmanaged
    {
        if (typeof(TVec) == typeof(Vector512<T>)) Packing.TransposeBlock512(src, lds, rows, dst, ldd);
        else if (typeof(TVec) == typeof(Vector256<T>)) Packing.TransposeBlock256(src, lds, rows, dst, ldd);
        else Packing.TransposeBlock128(src, lds, rows, dst, ldd);
    }

    // One part of a transposed forward: a share of the groups of v outputs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardTransposedPart<T, TAct, TVec, TOps>(void* context, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ref ForwardJob<T, TAct> job = ref Unsafe.AsRef<ForwardJob<T, TAct>>(context);
        var (g0, g1) = Parallelism.Share((job.N + TOps.Count - 1) / TOps.Count, part, parts);
        ForwardTransposed<T, TAct, TVec, TOps>(ref job.Output, job.X, job.Ldx, job.W, job.Batch, job.K, job.N, g0, g1);
    }

    // The forward at a batch of a few vectors (batch 32 of floats), computed transposed: zᵀ = w·xᵀ.
    // The packed forward transposes all of w (n × k) into panels, and each panel then serves only a few row tiles;
    // here x (batch × k, a fraction of w's size in every layer of the benchmark networks) is transposed once into
    // xᵀ (k, columns), the whole batch is one row of 2 to 8 vectors, and the tile (TransposedTile) broadcasts w's
    // elements straight from its rows, so every weight is read from memory once: on AVX-512 8 rows × 2 vectors (per k,
    // 2 loads of xᵀ and 8 broadcasts for 16 FMAs), on AVX 3 rows × 4 vectors (4 loads and 3 broadcasts for 12 FMAs,
    // within 16 registers). A tile narrower than xᵀ runs once per block of its columns while its rows of w are in L1.
    // Each group of v outputs is then transposed back, a v × v block at a time, into a (columns, v) tile for the epilogue.
    // Each output is the same chain of FMAs over k, in the same order, as in the packed forward: the same bits.
    // SkipLocalsInit: the JIT would otherwise clear the stack buffers at every call; nothing reads an element before it
    // is written (the transposes read the rows < width and the column blocks that the tiles stored, the epilogue the
    // columns < width).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static unsafe void ForwardTransposed<T, TAct, TVec, TOps>(ref Epilogue<T, TAct> output, T* px, int ldx, T* pw,
        int batch, int k, int n, int groupStart, int groupEnd)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, vectors = TransposedVectors<T, TVec, TOps>(batch), columns = vectors * v;
        var (tileRows, tileVectors) = TransposedTile<T, TVec>(vectors);
        int tileColumns = tileVectors * v, sampleEnd = (batch + tileColumns - 1) / tileColumns * tileColumns;
        // Groups of v outputs per pass: the fewest whose outputs are whole tiles (one at 512 bits, three for 3 or 6 rows).
        int chunk = 1;
        while (chunk * v % tileRows != 0) chunk++;
        T* xT = PackBuffer<T>.Get();
        TransposeInput<T, TVec>(xT, columns, px, ldx, batch, k, v, vectors);
        T* zT = stackalloc T[chunk * v * columns]; // (chunk·v outputs, columns samples): the tiles' sums
        T* tile = stackalloc T[columns * v];       // one group's transposed, (columns samples, v outputs), for the epilogue
        T* tails = stackalloc T[Tiles<T, TVec, TOps>.ColumnRows * v];
        for (int g = groupStart; g < groupEnd; g += chunk)
        {
            int j0 = g * v, width = Math.Min(Math.Min(groupEnd, g + chunk) * v, n) - j0;
            for (int r0 = 0; r0 < width; r0 += tileRows)
            {
                T* a = pw + (long)(j0 + r0) * k;
                int rows = Math.Min(tileRows, width - r0);
                for (int s0 = 0; s0 < sampleEnd; s0 += tileColumns)
                {
                    T* c = zT + r0 * columns + s0;
                    if (tileRows == 8) Tiles<T, TVec, TOps>.Tile8x2(c, columns, a, k, rows, xT + s0, columns, k);
                    else if (tileRows == 6) Tiles<T, TVec, TOps>.Tile6x2(c, columns, a, k, rows, xT + s0, columns, k);
                    else Tiles<T, TVec, TOps>.Tile3x4(c, columns, a, k, rows, xT + s0, columns, k);
                }
            }
            for (int c0 = 0; c0 < width; c0 += v)
            {
                int groupWidth = Math.Min(v, width - c0);
                for (int s0 = 0; s0 < batch; s0 += v)
                    TransposeBlock<T, TVec>(zT + c0 * columns + s0, columns, groupWidth, tile + s0 * v, v);
                for (int i0 = 0; i0 < batch; i0 += Tiles<T, TVec, TOps>.ColumnRows)
                    output.Rows<TVec, TOps>(i0, Math.Min(Tiles<T, TVec, TOps>.ColumnRows, batch - i0), j0 + c0, groupWidth, tile + i0 * v, v, tails,
                        first: true, last: true);
            }
        }
    }

    // xᵀ[p·ldt + i] = x[i·ldx + p] for p < k and i < batch, and 0 for batch ≤ i < vectors·v: v × v register transposes,
    // then the k % v leftover depths one by one.
    private static unsafe void TransposeInput<T, TVec>(T* xT, int ldt, T* x, int ldx, int batch, int k, int v, int vectors)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = 0;
        for (; p <= k - v; p += v)
            for (int s0 = 0; s0 < vectors * v; s0 += v)
                TransposeBlock<T, TVec>(x + (long)s0 * ldx + p, ldx, Math.Clamp(batch - s0, 0, v), xT + (long)p * ldt + s0, ldt);
        for (; p < k; p++)
            for (int i = 0; i < ldt; i++)
                xT[(long)p * ldt + i] = i < batch ? x[(long)i * ldx + p] : T.Zero;
    }

    /// <summary>The backward pass of <see cref="Forward{T, TAct}"/>:
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
    public static void Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        => Backward(dx, lddx, accumulateDx, dw, db, accumulateDw: true, dz, da, ldda, z, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);

    /// <summary>The backward pass, with dw and db either accumulated (<paramref name="accumulateDw"/>: dw += dzᵀ·x,
    /// db += Σ_batch dz) or written (dw = dzᵀ·x, db = Σ_batch dz, so that a step needs no zeroing pass before it).
    /// Returns whether every value it wrote to dw and db is finite: the vector kernels check each vector of dw as the
    /// product's tile stores it, so a caller that trusts the result needs no pass of its own over the gradients.</summary>
    public static bool Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, bool accumulateDw, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        => Backward(dx, lddx, accumulateDx, dw, db, accumulateDw, dz, da, ldda, z, ldz: outFeatures, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);

    /// <summary>The backward pass with z read at row stride <paramref name="ldz"/>: the layer's units [u0, u1) of a
    /// wider layer, whose z (or a, for an activation whose derivative is read off its output) is a column slice. The
    /// data-parallel training step splits a network's first layer so (Network&lt;T, TTarget&gt;.TrainStep).</summary>
    public static bool Backward<T, TAct>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, bool accumulateDw, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
    {
        if (Simd512<T>.IsAccelerated && typeof(T) != typeof(Dual))
            return Backward<T, TAct, Vector512<T>, Simd512<T>>(dx, lddx, accumulateDx, dw, db, accumulateDw, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);
        if (Simd256<T>.IsAccelerated && typeof(T) != typeof(Dual))
            return Backward<T, TAct, Vector256<T>, Simd256<T>>(dx, lddx, accumulateDx, dw, db, accumulateDw, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);
        if (Simd128<T>.IsAccelerated && typeof(T) != typeof(Dual))
            return Backward<T, TAct, Vector128<T>, Simd128<T>>(dx, lddx, accumulateDx, dw, db, accumulateDw, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);
        // Dual numbers and the scalar reference accumulate only: written gradients start from zero.
        if (!accumulateDw)
        {
            dw.Clear();
            db.Clear();
        }
        if (typeof(T) == typeof(Dual))
        {
            if (ldz != outFeatures) throw new NotSupportedException("Dual numbers take z contiguous (ldz = outFeatures)");
            DualDense.Backward(AsDual(dx), lddx, accumulateDx, AsDual(dw), AsDual(db), AsDual(dz), AsDual(da), ldda, AsDual(z), AsDual(a), lda,
                AsDual(x), ldx, AsDual(w), batch, inFeatures, outFeatures, act);
        }
        else
            DenseReference.Backward(dx, lddx, accumulateDx, dw, db, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);
        return AllFiniteScalar<T>(dw) && AllFiniteScalar<T>(db);
    }

    private static bool AllFiniteScalar<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        foreach (T value in values)
        {
            if (!T.IsFinite(value)) return false;
        }
        return true;
    }

    /// <summary>The backward pass at the vector width of <typeparamref name="TOps"/>.</summary>
    /// <remarks>This method and <see cref="ActivationGradient"/>, the parts compiled once per activation, are compiled
    /// fully optimised at their first call: a network whose activation no earlier layer used would otherwise run its
    /// dz pass unoptimised (every vector operation a call) for its first few hundred steps, while the products, which
    /// do not depend on the activation and stay tiered (their PGO build is faster), are already warm. Timing a new
    /// network's steps right after its first call measured that start-up (docs/benchmarks.md, "Generated against
    /// HandWrittenExpert, and the residual step").</remarks>
    internal static bool Backward<T, TAct, TVec, TOps>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, bool accumulateDw, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
        => Backward<T, TAct, TVec, TOps>(dx, lddx, accumulateDx, dw, db, accumulateDw, dz, da, ldda, z, outFeatures, a, lda, x, ldx, w, batch, inFeatures, outFeatures, act);

    /// <summary>The backward pass at the vector width of <typeparamref name="TOps"/>, z at row stride <paramref name="ldz"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe bool Backward<T, TAct, TVec, TOps>(Span<T> dx, int lddx, bool accumulateDx, Span<T> dw, Span<T> db, bool accumulateDw, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures, TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ValidateBackward<T, TAct>(dx, lddx, dw, db, dz, da, ldda, z, ldz, a, lda, x, ldx, w, batch, inFeatures, outFeatures);
        if (batch == 0 || outFeatures == 0)
        {
            // dz·w over an empty sum is zero.
            if (!accumulateDx && !dx.IsEmpty && inFeatures > 0)
                for (int i = 0; i < batch; i++) dx.Slice(i * lddx, inFeatures).Clear();
            if (!accumulateDw)
            {
                dw.Clear();
                db.Clear();
            }
            return AllFiniteScalar<T>(dw) && AllFiniteScalar<T>(db);
        }

        fixed (T* pdx = dx, pdw = dw, pdb = db, pdz = dz, pda = da, pz = z, pa = a, px = x, pw = w)
        {
            // in the forward pass this was: a = act(z), and z = x·wᵀ + b; the first use of dz (db) is fused in.
            bool finite = ActivationGradient<T, TAct, TVec, TOps>(pdz, pdb, accumulateDw, pda, ldda, pz, ldz, pa, lda, batch, outFeatures, ref act);
            if (inFeatures == 0) return finite;
            var job = new BackwardJob<T>
            {
                Dx = pdx, Lddx = lddx, AccumulateDx = accumulateDx, Dw = pdw, AccumulateDw = accumulateDw, Dz = pdz, X = px, Ldx = ldx, W = pw,
                Batch = batch, K = inFeatures, N = outFeatures,
            };
            long multiplyAdds = (long)batch * inFeatures * outFeatures * ((pdx != null ? 1 : 0) + (pdw != null ? 1 : 0));
            Parallelism.Run(&BackwardPart<T, TVec, TOps>, Unsafe.AsPointer(ref job), Math.Min(PartsFor(multiplyAdds), Math.Max(batch, outFeatures)));
            return finite && !job.DwNonFinite;
        }
    }

    private unsafe struct BackwardJob<T> where T : unmanaged
    {
        public T* Dx, Dw, Dz, X, W;
        public int Lddx, Ldx, Batch, K, N;
        public bool AccumulateDx, AccumulateDw;
        // Written only to set it, by whichever parts store a non-finite dw value: the answer is the same in any order.
        public bool DwNonFinite;
    }

    // One part of the backward products: a share of the rows of dx and a share of the rows of dw.
    private static unsafe void BackwardPart<T, TVec, TOps>(void* context, int part, int parts)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        ref BackwardJob<T> job = ref Unsafe.AsRef<BackwardJob<T>>(context);
        int n = job.N, k = job.K;
        if (job.Dx != null)
        {
            // in the forward pass this was: z = x·wᵀ, so dx[i, :] = Σ_j dz[i, j]·w[j, :]
            var (i0, i1) = Parallelism.Share(job.Batch, part, parts);
            BroadcastProduct<T, TVec, TOps>(job.Dx + (long)i0 * job.Lddx, job.Lddx, job.AccumulateDx, job.Dz + (long)i0 * n, n, 1, job.W, k, i1 - i0, k, n,
                Tiles<T, TVec, TOps>.NarrowShape(i1 - i0, 4));
        }
        if (job.Dw != null)
        {
            // ... and dw[j, :] += Σ_i dz[i, j]·x[i, :] (or = without AccumulateDw), checked as it is stored
            var (j0, j1) = Parallelism.Share(n, part, parts);
            if (!BroadcastProduct<T, TVec, TOps>(job.Dw + (long)j0 * k, k, job.AccumulateDw, job.Dz + j0, 1, n, job.X, job.Ldx, j1 - j0, k, job.Batch,
                    Tiles<T, TVec, TOps>.NarrowShape(j1 - j0, 3), check: true))
                Volatile.Write(ref job.DwNonFinite, true);
        }
    }

    // dz = da ⊙ act'(z, a) over (batch, n), and db += Σ_i dz[i, :] (or = without accumulateDb). Walks column strips of
    // one vector so that the db partial sums stay in a register: db receives Σ_i dz once, as PyTorch accumulates a
    // finished gradient. Returns whether every db value written is finite.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool ActivationGradient<T, TAct, TVec, TOps>(T* dz, T* db, bool accumulateDb, T* da, int ldda, T* z, int ldz, T* a, int lda, int batch, int n, ref TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count;
        int j = 0;
        TVec finite = TOps.Zero;
        bool tailFinite = true;
        if (VectorActivation.IsSupported<TAct>())
        {
            for (; j <= n - v; j += v)
            {
                TVec sum = TOps.Zero;
                for (int i = 0; i < batch; i++)
                {
                    TVec zv = z == null ? TOps.Zero : TOps.Load(z + (long)i * ldz + j);
                    TVec av = a == null ? VectorActivation.Forward<T, TAct, TVec, TOps>(ref act, zv) : TOps.Load(a + (long)i * lda + j);
                    TVec d = TOps.Multiply(TOps.Load(da + (long)i * ldda + j), VectorActivation.Derivative<T, TAct, TVec, TOps>(ref act, zv, av));
                    TOps.Store(d, dz + (long)i * n + j);
                    sum = TOps.Add(sum, d);
                }
                if (db == null) continue;
                TVec total = accumulateDb ? TOps.Add(TOps.Load(db + j), sum) : sum;
                TOps.Store(total, db + j);
                finite = Tiles<T, TVec, TOps>.Finite(finite, total);
            }
        }
        for (; j < n; j++)
        {
            T sum = T.Zero;
            for (int i = 0; i < batch; i++)
            {
                T zv = z == null ? T.Zero : z[(long)i * ldz + j];
                T av = a == null ? act.Forward(zv) : a[(long)i * lda + j];
                T d = da[(long)i * ldda + j] * act.Derivative(zv, av);
                dz[(long)i * n + j] = d;
                sum += d;
            }
            if (db == null) continue;
            db[j] = accumulateDb ? db[j] + sum : sum;
            tailFinite &= T.IsFinite(db[j]);
        }
        return TOps.Sum(finite) == T.Zero && tailFinite;
    }

    // c[m, :] (= or +=) Σ_p A(m, p) · b[p, :], with A(m, p) = pa[m·sam + p·sap], c (rows, cols) stride ldc and
    // b (depth, cols) stride ldb. Both backward products have this form, vectorised along the contiguous columns with
    // A broadcast: dx = dz·w (A = dz, b = w) and dw = dzᵀ·x (A = dzᵀ, b = x). With check, returns whether every value
    // stored in c is finite (checked by the tiles as they store); without, true. shape: 0 for the main tile, 4 or 3 for
    // 4 × 3 or 3 × 4 tiles with 16 registers (Tiles.NarrowShape); internal for the test that they give the same bits.
    internal static unsafe bool BroadcastProduct<T, TVec, TOps>(T* c, int ldc, bool accumulate, T* pa, int sam, int sap, T* b, int ldb,
        int rows, int cols, int depth, int shape, bool check = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, panel = Tiles<T, TVec, TOps>.Vectors * v;
        int n = 0;
        TVec finite = TOps.Zero;
        // With 16 registers, a tile of 4 × 3 or 3 × 4 when it pads the rows less than 6 × 2 (Tiles.NarrowShape).
        if (shape != 0)
        {
            int tileVectors = 12 / shape, tilePanel = tileVectors * v;
            for (; n <= cols - tilePanel; n += tilePanel)
                for (int m0 = 0; m0 < rows; m0 += shape)
                {
                    T* cm = c + (long)m0 * ldc + n, am = pa + (long)m0 * sam, bn = b + n;
                    int stored = Math.Min(shape, rows - m0);
                    finite = TOps.Add(finite, shape == 4
                        ? Tiles<T, TVec, TOps>.Tile4x3(cm, ldc, accumulate, am, sam, sap, stored, bn, ldb, depth, check)
                        : Tiles<T, TVec, TOps>.Tile3x4(cm, ldc, accumulate, am, sam, sap, stored, bn, ldb, depth, check));
                }
        }
        // Column panels outermost: a panel of b (depth × panel) is reused from cache by every block of rows.
        for (; n <= cols - panel; n += panel)
            for (int m0 = 0; m0 < rows; m0 += Tiles<T, TVec, TOps>.Rows)
                finite = TOps.Add(finite, Tiles<T, TVec, TOps>.Main(c + (long)m0 * ldc + n, ldc, accumulate, pa + (long)m0 * sam, sam, sap,
                    Math.Min(Tiles<T, TVec, TOps>.Rows, rows - m0), b + n, ldb, depth, check));
        // Leftover full vectors: one vector at a time.
        for (; n <= cols - v; n += v)
            for (int m0 = 0; m0 < rows; m0 += Tiles<T, TVec, TOps>.ColumnRows)
                finite = TOps.Add(finite, Tiles<T, TVec, TOps>.Column(c + (long)m0 * ldc + n, ldc, accumulate, pa + (long)m0 * sam, sam, sap,
                    Math.Min(Tiles<T, TVec, TOps>.ColumnRows, rows - m0), b + n, ldb, depth, check));
        // The cols % v leftover columns: when cols ≥ v, the vector ending at the last column, of which only the lanes
        // past the columns already done are stored; when cols < v, scalar.
        if (n < cols && cols >= v)
        {
            TVec tail = Tiles<T, TVec, TOps>.LastLanes(cols - n);
            n = cols - v;
            for (int m0 = 0; m0 < rows; m0 += Tiles<T, TVec, TOps>.ColumnRows)
                finite = TOps.Add(finite, Tiles<T, TVec, TOps>.Column(c + (long)m0 * ldc + n, ldc, accumulate, pa + (long)m0 * sam, sam, sap,
                    Math.Min(Tiles<T, TVec, TOps>.ColumnRows, rows - m0), b + n, ldb, depth, tail, check));
            n = cols;
        }
        bool tailFinite = true;
        for (; n < cols; n++)
        {
            for (int m = 0; m < rows; m++)
            {
                T s = T.Zero;
                T* am = pa + (long)m * sam;
                for (int p = 0; p < depth; p++) s += am[(long)p * sap] * b[(long)p * ldb + n];
                T* cm = c + (long)m * ldc + n;
                *cm = accumulate ? *cm + s : s;
                tailFinite &= T.IsFinite(*cm);
            }
        }
        return TOps.Sum(finite) == T.Zero && tailFinite;
    }

    // T is Dual here (the callers test it first): the same memory, seen as dual numbers, for DualDense.
    private static Span<Dual> AsDual<T>(Span<T> span) where T : struct => MemoryMarshal.Cast<T, Dual>(span);
    private static ReadOnlySpan<Dual> AsDual<T>(ReadOnlySpan<T> span) where T : struct => MemoryMarshal.Cast<T, Dual>(span);

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
        => ValidateBackward<T, TAct>(dx, lddx, dw, db, dz, da, ldda, z, outFeatures, a, lda, x, ldx, w, batch, inFeatures, outFeatures);

    internal static void ValidateBackward<T, TAct>(Span<T> dx, int lddx, Span<T> dw, Span<T> db, Span<T> dz,
        ReadOnlySpan<T> da, int ldda, ReadOnlySpan<T> z, int ldz, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> x, int ldx,
        ReadOnlySpan<T> w, int batch, int inFeatures, int outFeatures)
    {
        Guard.Sizes(batch, inFeatures);
        Guard.Sizes(batch, outFeatures);
        Guard.Matrix(dz.Length, batch, outFeatures, outFeatures, nameof(dz));
        Guard.Matrix(da.Length, batch, outFeatures, ldda, nameof(da));
        Guard.Optional(z.Length, batch, outFeatures, ldz, nameof(z));
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
