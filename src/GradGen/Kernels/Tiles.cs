using System.Numerics;
using System.Runtime.CompilerServices;

namespace GradGen.Kernels;

/// <summary>The register-blocked micro-kernels of the matrix products, for one vector width:
/// c[m, 0..cols) (= or +=) Σ_p A(m, p) · b[p, 0..cols) with A(m, p) = a[m·sam + p·sap] broadcast and b's rows loaded
/// as vectors. The forward (on packed wᵀ) and both backward products (dx = dz·w, dw = dzᵀ·x) use them.</summary>
/// <remarks>
/// The block shape depends on the register count. With 32 vector registers (AVX-512, ARM64) the main tile is 4 rows ×
/// 4 vectors: 16 accumulators, 4 loads of b and one broadcast per row in flight. With 16 (AVX2, SSE) it is 6 rows ×
/// 2 vectors: 12 accumulators, 2 loads of b and one broadcast, which is BLIS's Haswell shape; the backward products take
/// 4 × 3 or 3 × 4 instead where those pad the rows less (<see cref="NarrowShape"/>: a batch of 32, 128 units). The column tile,
/// 8 rows × 1 vector, serves outputs narrower than a main tile and the leftover vectors of the backward products.
/// Rows past <c>rows</c> read the last valid row (computed, never stored), so one kernel handles every edge.
/// </remarks>
internal static class Tiles<T, TVec, TOps>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TVec : unmanaged
    where TOps : ISimd<TVec, T>
{
    // Forced inline: the forward kernels, which inline much else, otherwise called it once per tile.
    private static bool Wide { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => TOps.Registers >= 32; }

    /// <summary>Rows of the main tile.</summary>
    public static int Rows => Wide ? 4 : 6;

    /// <summary>Vectors of columns of the main tile.</summary>
    public static int Vectors => Wide ? 4 : 2;

    /// <summary>With 16 registers, the tile for a product of <paramref name="rows"/> rows: the main 6 × 2 unless
    /// <paramref name="alternativeRows"/> × (12 / <paramref name="alternativeRows"/>) vectors (4 × 3 or 3 × 4) computes
    /// fewer padded rows (rows past the last are computed and not stored); ties keep 6 × 2. A batch of 32 pads to 36
    /// rows of 6 (12% more FMAs) and to 32 rows of 4; 128 units pad to 132 rows of 6 and to 129 rows of 3. Every shape
    /// computes each output as the same chain of FMAs over the depth, so the choice changes no bit. With 32 registers
    /// the main 4 × 4 (0: <see cref="Main"/>).</summary>
    public static int NarrowShape(int rows, int alternativeRows)
    {
        if (Wide) return 0;
        int main = (rows + Rows - 1) / Rows * Rows, alternative = (rows + alternativeRows - 1) / alternativeRows * alternativeRows;
        return alternative < main ? alternativeRows : 0;
    }

    /// <summary>Rows of the one-vector column tile.</summary>
    public const int ColumnRows = 8;

    /// <summary>Elements of the larger of the two tiles, for a stack buffer that holds either.</summary>
    public static int MaxTileElements => Math.Max(Rows * Vectors, ColumnRows) * TOps.Count;

    /// <summary>The main tile: <see cref="Rows"/> rows (of which the first <paramref name="rows"/> are stored) × <see cref="Vectors"/> vectors.
    /// With <paramref name="check"/>, returns a vector that is zero exactly when every value stored is finite (see
    /// <see cref="Finite"/>); without, zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe TVec Main(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check = false)
        => Wide ? Tile4x4(c, ldc, accumulate, a, sam, sap, rows, b, ldb, depth, check)
            : Tile6x2(c, ldc, accumulate, a, sam, sap, rows, b, ldb, depth, check);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe TVec Tile4x4(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam, a3 = a + Math.Min(3, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            long ap = p * sap;
            TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + v), b2 = TOps.Load(bp + 2 * v), b3 = TOps.Load(bp + 3 * v);
            TVec s = TOps.Create(a0[ap]);
            c00 = TOps.MultiplyAdd(s, b0, c00); c01 = TOps.MultiplyAdd(s, b1, c01); c02 = TOps.MultiplyAdd(s, b2, c02); c03 = TOps.MultiplyAdd(s, b3, c03);
            s = TOps.Create(a1[ap]);
            c10 = TOps.MultiplyAdd(s, b0, c10); c11 = TOps.MultiplyAdd(s, b1, c11); c12 = TOps.MultiplyAdd(s, b2, c12); c13 = TOps.MultiplyAdd(s, b3, c13);
            s = TOps.Create(a2[ap]);
            c20 = TOps.MultiplyAdd(s, b0, c20); c21 = TOps.MultiplyAdd(s, b1, c21); c22 = TOps.MultiplyAdd(s, b2, c22); c23 = TOps.MultiplyAdd(s, b3, c23);
            s = TOps.Create(a3[ap]);
            c30 = TOps.MultiplyAdd(s, b0, c30); c31 = TOps.MultiplyAdd(s, b1, c31); c32 = TOps.MultiplyAdd(s, b2, c32); c33 = TOps.MultiplyAdd(s, b3, c33);
        }
        TVec finite = TOps.Zero;
        StoreRow(c, v, accumulate, c00, c01, c02, c03, check, ref finite);
        if (rows > 1) StoreRow(c + ldc, v, accumulate, c10, c11, c12, c13, check, ref finite);
        if (rows > 2) StoreRow(c + 2 * ldc, v, accumulate, c20, c21, c22, c23, check, ref finite);
        if (rows > 3) StoreRow(c + 3 * ldc, v, accumulate, c30, c31, c32, c33, check, ref finite);
        return finite;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe TVec Tile6x2(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam;
        T* a3 = a + Math.Min(3, rows - 1) * sam, a4 = a + Math.Min(4, rows - 1) * sam, a5 = a + Math.Min(5, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            long ap = p * sap;
            TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + v);
            TVec s = TOps.Create(a0[ap]);
            c00 = TOps.MultiplyAdd(s, b0, c00); c01 = TOps.MultiplyAdd(s, b1, c01);
            s = TOps.Create(a1[ap]);
            c10 = TOps.MultiplyAdd(s, b0, c10); c11 = TOps.MultiplyAdd(s, b1, c11);
            s = TOps.Create(a2[ap]);
            c20 = TOps.MultiplyAdd(s, b0, c20); c21 = TOps.MultiplyAdd(s, b1, c21);
            s = TOps.Create(a3[ap]);
            c30 = TOps.MultiplyAdd(s, b0, c30); c31 = TOps.MultiplyAdd(s, b1, c31);
            s = TOps.Create(a4[ap]);
            c40 = TOps.MultiplyAdd(s, b0, c40); c41 = TOps.MultiplyAdd(s, b1, c41);
            s = TOps.Create(a5[ap]);
            c50 = TOps.MultiplyAdd(s, b0, c50); c51 = TOps.MultiplyAdd(s, b1, c51);
        }
        TVec finite = TOps.Zero;
        Store(c, accumulate, c00, check, ref finite); Store(c + v, accumulate, c01, check, ref finite);
        if (rows > 1) { Store(c + ldc, accumulate, c10, check, ref finite); Store(c + ldc + v, accumulate, c11, check, ref finite); }
        if (rows > 2) { Store(c + 2 * ldc, accumulate, c20, check, ref finite); Store(c + 2 * ldc + v, accumulate, c21, check, ref finite); }
        if (rows > 3) { Store(c + 3 * ldc, accumulate, c30, check, ref finite); Store(c + 3 * ldc + v, accumulate, c31, check, ref finite); }
        if (rows > 4) { Store(c + 4 * ldc, accumulate, c40, check, ref finite); Store(c + 4 * ldc + v, accumulate, c41, check, ref finite); }
        if (rows > 5) { Store(c + 5 * ldc, accumulate, c50, check, ref finite); Store(c + 5 * ldc + v, accumulate, c51, check, ref finite); }
        return finite;
    }

    /// <summary>A tile of 3 rows × 4 vectors for 16 registers (12 accumulators, 3 broadcasts and one vector of b in
    /// flight), otherwise as <see cref="Main"/>: an alternative to its 6 × 2 for a product whose rows 6 × 2 would pad
    /// more (<see cref="NarrowShape"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe TVec Tile3x4(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            long ap = p * sap;
            TVec s0 = TOps.Create(a0[ap]), s1 = TOps.Create(a1[ap]), s2 = TOps.Create(a2[ap]);
            TVec bj = TOps.Load(bp);
            c00 = TOps.MultiplyAdd(s0, bj, c00); c10 = TOps.MultiplyAdd(s1, bj, c10); c20 = TOps.MultiplyAdd(s2, bj, c20);
            bj = TOps.Load(bp + v);
            c01 = TOps.MultiplyAdd(s0, bj, c01); c11 = TOps.MultiplyAdd(s1, bj, c11); c21 = TOps.MultiplyAdd(s2, bj, c21);
            bj = TOps.Load(bp + 2 * v);
            c02 = TOps.MultiplyAdd(s0, bj, c02); c12 = TOps.MultiplyAdd(s1, bj, c12); c22 = TOps.MultiplyAdd(s2, bj, c22);
            bj = TOps.Load(bp + 3 * v);
            c03 = TOps.MultiplyAdd(s0, bj, c03); c13 = TOps.MultiplyAdd(s1, bj, c13); c23 = TOps.MultiplyAdd(s2, bj, c23);
        }
        TVec finite = TOps.Zero;
        StoreRow(c, v, accumulate, c00, c01, c02, c03, check, ref finite);
        if (rows > 1) StoreRow(c + ldc, v, accumulate, c10, c11, c12, c13, check, ref finite);
        if (rows > 2) StoreRow(c + 2 * ldc, v, accumulate, c20, c21, c22, c23, check, ref finite);
        return finite;
    }

    /// <summary>A tile of 4 rows × 3 vectors for 16 registers (12 accumulators, 3 vectors of b and one broadcast in
    /// flight), otherwise as <see cref="Main"/>: an alternative to its 6 × 2 for a product whose rows 6 × 2 would pad
    /// more (<see cref="NarrowShape"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe TVec Tile4x3(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam, a3 = a + Math.Min(3, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            long ap = p * sap;
            TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + v), b2 = TOps.Load(bp + 2 * v);
            TVec s = TOps.Create(a0[ap]);
            c00 = TOps.MultiplyAdd(s, b0, c00); c01 = TOps.MultiplyAdd(s, b1, c01); c02 = TOps.MultiplyAdd(s, b2, c02);
            s = TOps.Create(a1[ap]);
            c10 = TOps.MultiplyAdd(s, b0, c10); c11 = TOps.MultiplyAdd(s, b1, c11); c12 = TOps.MultiplyAdd(s, b2, c12);
            s = TOps.Create(a2[ap]);
            c20 = TOps.MultiplyAdd(s, b0, c20); c21 = TOps.MultiplyAdd(s, b1, c21); c22 = TOps.MultiplyAdd(s, b2, c22);
            s = TOps.Create(a3[ap]);
            c30 = TOps.MultiplyAdd(s, b0, c30); c31 = TOps.MultiplyAdd(s, b1, c31); c32 = TOps.MultiplyAdd(s, b2, c32);
        }
        TVec finite = TOps.Zero;
        Store(c, accumulate, c00, check, ref finite); Store(c + v, accumulate, c01, check, ref finite); Store(c + 2 * v, accumulate, c02, check, ref finite);
        if (rows > 1) { T* r = c + ldc; Store(r, accumulate, c10, check, ref finite); Store(r + v, accumulate, c11, check, ref finite); Store(r + 2 * v, accumulate, c12, check, ref finite); }
        if (rows > 2) { T* r = c + 2 * ldc; Store(r, accumulate, c20, check, ref finite); Store(r + v, accumulate, c21, check, ref finite); Store(r + 2 * v, accumulate, c22, check, ref finite); }
        if (rows > 3) { T* r = c + 3 * ldc; Store(r, accumulate, c30, check, ref finite); Store(r + v, accumulate, c31, check, ref finite); Store(r + 2 * v, accumulate, c32, check, ref finite); }
        return finite;
    }

    /// <summary>The tile of the transposed forward (<see cref="Dense"/>: zᵀ = w·xᵀ for a batch of at most two vectors, with
    /// 32 vector registers): c[m, 0..2v) = Σ_p a[m·sam + p] · b[p·ldb + 0..2v) for 8 rows m, of which the first
    /// <paramref name="rows"/> exist in a (the others read the last one). 16 accumulators; per step 2 loads of b and 8
    /// broadcasts of a. All 8 rows are stored (c is the caller's scratch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Tile8x2(T* c, long ldc, T* a, long sam, int rows, T* b, long ldb, int depth)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam, a3 = a + Math.Min(3, rows - 1) * sam;
        T* a4 = a + Math.Min(4, rows - 1) * sam, a5 = a + Math.Min(5, rows - 1) * sam;
        T* a6 = a + Math.Min(6, rows - 1) * sam, a7 = a + Math.Min(7, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero, c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + v);
            TVec s = TOps.Create(a0[p]);
            c00 = TOps.MultiplyAdd(s, b0, c00); c01 = TOps.MultiplyAdd(s, b1, c01);
            s = TOps.Create(a1[p]);
            c10 = TOps.MultiplyAdd(s, b0, c10); c11 = TOps.MultiplyAdd(s, b1, c11);
            s = TOps.Create(a2[p]);
            c20 = TOps.MultiplyAdd(s, b0, c20); c21 = TOps.MultiplyAdd(s, b1, c21);
            s = TOps.Create(a3[p]);
            c30 = TOps.MultiplyAdd(s, b0, c30); c31 = TOps.MultiplyAdd(s, b1, c31);
            s = TOps.Create(a4[p]);
            c40 = TOps.MultiplyAdd(s, b0, c40); c41 = TOps.MultiplyAdd(s, b1, c41);
            s = TOps.Create(a5[p]);
            c50 = TOps.MultiplyAdd(s, b0, c50); c51 = TOps.MultiplyAdd(s, b1, c51);
            s = TOps.Create(a6[p]);
            c60 = TOps.MultiplyAdd(s, b0, c60); c61 = TOps.MultiplyAdd(s, b1, c61);
            s = TOps.Create(a7[p]);
            c70 = TOps.MultiplyAdd(s, b0, c70); c71 = TOps.MultiplyAdd(s, b1, c71);
        }
        TOps.Store(c00, c); TOps.Store(c01, c + v);
        TOps.Store(c10, c + ldc); TOps.Store(c11, c + ldc + v);
        TOps.Store(c20, c + 2 * ldc); TOps.Store(c21, c + 2 * ldc + v);
        TOps.Store(c30, c + 3 * ldc); TOps.Store(c31, c + 3 * ldc + v);
        TOps.Store(c40, c + 4 * ldc); TOps.Store(c41, c + 4 * ldc + v);
        TOps.Store(c50, c + 5 * ldc); TOps.Store(c51, c + 5 * ldc + v);
        TOps.Store(c60, c + 6 * ldc); TOps.Store(c61, c + 6 * ldc + v);
        TOps.Store(c70, c + 7 * ldc); TOps.Store(c71, c + 7 * ldc + v);
    }

    /// <summary>The tile of the transposed forward with 16 vector registers (AVX2: a batch of at most four vectors; at
    /// 128 bits one block of four vectors of a batch of up to eight):
    /// c[m, 0..4v) = Σ_p a[m·sam + p] · b[p·ldb + 0..4v) for 3 rows m, of which the first <paramref name="rows"/>
    /// exist in a (the others read the last one). 12 accumulators, 3 broadcasts of a and one vector of b in flight: all
    /// 16 registers. All 3 rows are stored (c is the caller's scratch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Tile3x4(T* c, long ldc, T* a, long sam, int rows, T* b, long ldb, int depth)
    {
        int v = TOps.Count;
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            TVec s0 = TOps.Create(a0[p]), s1 = TOps.Create(a1[p]), s2 = TOps.Create(a2[p]);
            TVec bj = TOps.Load(bp);
            c00 = TOps.MultiplyAdd(s0, bj, c00); c10 = TOps.MultiplyAdd(s1, bj, c10); c20 = TOps.MultiplyAdd(s2, bj, c20);
            bj = TOps.Load(bp + v);
            c01 = TOps.MultiplyAdd(s0, bj, c01); c11 = TOps.MultiplyAdd(s1, bj, c11); c21 = TOps.MultiplyAdd(s2, bj, c21);
            bj = TOps.Load(bp + 2 * v);
            c02 = TOps.MultiplyAdd(s0, bj, c02); c12 = TOps.MultiplyAdd(s1, bj, c12); c22 = TOps.MultiplyAdd(s2, bj, c22);
            bj = TOps.Load(bp + 3 * v);
            c03 = TOps.MultiplyAdd(s0, bj, c03); c13 = TOps.MultiplyAdd(s1, bj, c13); c23 = TOps.MultiplyAdd(s2, bj, c23);
        }
        TOps.Store(c00, c); TOps.Store(c01, c + v); TOps.Store(c02, c + 2 * v); TOps.Store(c03, c + 3 * v);
        T* c1 = c + ldc;
        TOps.Store(c10, c1); TOps.Store(c11, c1 + v); TOps.Store(c12, c1 + 2 * v); TOps.Store(c13, c1 + 3 * v);
        T* c2 = c + 2 * ldc;
        TOps.Store(c20, c2); TOps.Store(c21, c2 + v); TOps.Store(c22, c2 + 2 * v); TOps.Store(c23, c2 + 3 * v);
    }

    /// <summary>The tile of the transposed forward with 16 vector registers for a batch of at most two vectors (AVX2:
    /// 9–16 floats): <see cref="Main"/>'s 6 rows × 2 vectors with A(m, p) = a[m·sam + p], not accumulating.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Tile6x2(T* c, long ldc, T* a, long sam, int rows, T* b, long ldb, int depth)
        => Tile6x2(c, ldc, false, a, sam, 1, rows, b, ldb, depth, false);

    /// <summary>A mask with the last <paramref name="count"/> lanes set (all bits) and the others clear.</summary>
    public static unsafe TVec LastLanes(int count)
    {
        int v = TOps.Count;
        T* lane = stackalloc T[v];
        for (int l = 0; l < v; l++) lane[l] = T.CreateTruncating(l);
        return TOps.GreaterThanOrEqual(TOps.Load(lane), TOps.Create(T.CreateTruncating(v - count)));
    }

    /// <summary>The column tile: <see cref="ColumnRows"/> rows (of which the first <paramref name="rows"/> are stored) × 1 vector.
    /// <paramref name="check"/> and the result as for <see cref="Main"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe TVec Column(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, bool check = false)
        => Column(c, ldc, accumulate, a, sam, sap, rows, b, ldb, depth, masked: false, TOps.Zero, check);

    /// <summary>The column tile, storing only the lanes set in <paramref name="lanes"/> (the others of c keep their values).</summary>
    public static unsafe TVec Column(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth, TVec lanes, bool check = false)
        => Column(c, ldc, accumulate, a, sam, sap, rows, b, ldb, depth, masked: true, lanes, check);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe TVec Column(T* c, long ldc, bool accumulate, T* a, long sam, long sap, int rows, T* b, long ldb, int depth,
        bool masked, TVec lanes, bool check)
    {
        T* a0 = a, a1 = a + Math.Min(1, rows - 1) * sam, a2 = a + Math.Min(2, rows - 1) * sam, a3 = a + Math.Min(3, rows - 1) * sam;
        T* a4 = a + Math.Min(4, rows - 1) * sam, a5 = a + Math.Min(5, rows - 1) * sam;
        T* a6 = a + Math.Min(6, rows - 1) * sam, a7 = a + Math.Min(7, rows - 1) * sam;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        T* bp = b;
        for (int p = 0; p < depth; p++, bp += ldb)
        {
            long ap = p * sap;
            TVec b0 = TOps.Load(bp);
            c0 = TOps.MultiplyAdd(TOps.Create(a0[ap]), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Create(a1[ap]), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Create(a2[ap]), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Create(a3[ap]), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Create(a4[ap]), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Create(a5[ap]), b0, c5);
            c6 = TOps.MultiplyAdd(TOps.Create(a6[ap]), b0, c6);
            c7 = TOps.MultiplyAdd(TOps.Create(a7[ap]), b0, c7);
        }
        TVec finite = TOps.Zero;
        StoreLanes(c, accumulate, c0, masked, lanes, check, ref finite);
        if (rows > 1) StoreLanes(c + ldc, accumulate, c1, masked, lanes, check, ref finite);
        if (rows > 2) StoreLanes(c + 2 * ldc, accumulate, c2, masked, lanes, check, ref finite);
        if (rows > 3) StoreLanes(c + 3 * ldc, accumulate, c3, masked, lanes, check, ref finite);
        if (rows > 4) StoreLanes(c + 4 * ldc, accumulate, c4, masked, lanes, check, ref finite);
        if (rows > 5) StoreLanes(c + 5 * ldc, accumulate, c5, masked, lanes, check, ref finite);
        if (rows > 6) StoreLanes(c + 6 * ldc, accumulate, c6, masked, lanes, check, ref finite);
        if (rows > 7) StoreLanes(c + 7 * ldc, accumulate, c7, masked, lanes, check, ref finite);
        return finite;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow(T* c, int v, bool accumulate, TVec c0, TVec c1, TVec c2, TVec c3, bool check, ref TVec finite)
    {
        Store(c, accumulate, c0, check, ref finite);
        Store(c + v, accumulate, c1, check, ref finite);
        Store(c + 2 * v, accumulate, c2, check, ref finite);
        Store(c + 3 * v, accumulate, c3, check, ref finite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreLanes(T* c, bool accumulate, TVec value, bool masked, TVec lanes, bool check, ref TVec finite)
    {
        if (!masked)
        {
            Store(c, accumulate, value, check, ref finite);
            return;
        }
        TVec old = TOps.Load(c);
        TVec stored = TOps.Select(lanes, accumulate ? TOps.Add(old, value) : value, old);
        TOps.Store(stored, c);
        if (check) finite = Finite(finite, stored);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store(T* c, bool accumulate, TVec value, bool check, ref TVec finite)
    {
        TVec stored = accumulate ? TOps.Add(TOps.Load(c), value) : value;
        TOps.Store(stored, c);
        if (check) finite = Finite(finite, stored);
    }

    /// <summary>sum + (x − x): x − x is 0 for a finite x and NaN for NaN and ±∞, and a NaN stays NaN through every
    /// addition, so a sum of them stays 0 exactly while every x added is finite (as <see cref="Gradients.AllFinite{T}(ReadOnlySpan{T})"/>).
    /// The tiles add each vector they store while it is still in a register, so that the backward's dw needs no second
    /// pass to be checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Finite(TVec sum, TVec x) => TOps.Add(sum, TOps.Subtract(x, x));
}
