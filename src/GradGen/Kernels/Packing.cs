using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GradGen.Kernels;

/// <summary>Packing of a weight panel for the forward product (BLIS's "pack B"): a slice of w (outF, inF) is copied
/// transposed into a contiguous (kLen, panel) block, so that the micro-kernel reads one aligned row of wᵀ per k.</summary>
internal static class Packing
{
    /// <summary>The packed panel's budget: 256 KB, a quarter of a 1 MB L2, so the panel stays in L2 while every block of
    /// x rows sweeps it (784 inputs × 64 floats, or × 32 doubles, is 196 KB: the MNIST layers need no k-slicing).</summary>
    public const int PanelBytes = 256 * 1024;

    /// <summary>packed[p·panel + c] = w[n0 + c, k0 + p] (w with row stride ldw) for p &lt; kLen and c &lt; width, and 0
    /// for width ≤ c &lt; panel. panel is a multiple of the vector width; packed must be 64-byte aligned for speed
    /// (not for correctness).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void PackTransposed<T, TVec, TOps>(T* packed, int panel, T* w, long ldw, int n0, int width, int k0, int kLen)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count;
        // v×v register transposes on AVX-512; at the narrower widths, 4×4 (float) or 2×2 (double) blocks through SSE
        // on x64 and AdvSimd on ARM64.
        bool transpose = typeof(TVec) == typeof(Vector512<T>) && Avx512F.IsSupported;
        bool blocks = !transpose && (Sse2.IsSupported || AdvSimd.Arm64.IsSupported);
        for (int c0 = 0; c0 < panel; c0 += v)
        {
            // This group of v outputs: rows n0 + c0 … of w, of which `rows` exist (the rest are packed as zeros).
            int rows = Math.Clamp(width - c0, 0, v);
            T* src = w + (n0 + c0) * ldw + k0;
            T* dst = packed + c0;
            int p = 0;
            // Square v×v blocks through registers: v row loads, an in-register transpose, v row stores.
            if (transpose && rows > 0)
            {
                // The next group's rows are fetched while this one is transposed: each row is only kLen / v blocks
                // long (8 at k = 128), too short for the hardware's stride prefetch to get ahead of the loads.
                int nextRows = Math.Clamp(width - c0 - v, 0, v);
                T* next = src + v * ldw;
                for (int i = 0; i < nextRows; i++)
                    for (int q = 0; q < kLen; q += 64 / Unsafe.SizeOf<T>()) Sse.Prefetch0(next + i * ldw + q);
                for (; p <= kLen - v; p += v)
                {
                    if (typeof(T) == typeof(float)) Transpose16x16((float*)(src + p), ldw, rows, (float*)(dst + (long)p * panel), panel);
                    else Transpose8x8((double*)(src + p), ldw, rows, (double*)(dst + (long)p * panel), panel);
                }
            }
            else if (blocks && rows == v)
            {
                if (typeof(T) == typeof(float))
                {
                    for (; p <= kLen - 4; p += 4)
                        for (int c = 0; c < v; c += 4)
                            Transpose4x4((float*)(src + c * ldw + p), ldw, (float*)(dst + (long)p * panel + c), panel);
                }
                else
                {
                    for (; p <= kLen - 2; p += 2)
                        for (int c = 0; c < v; c += 2)
                            Transpose2x2((double*)(src + c * ldw + p), ldw, (double*)(dst + (long)p * panel + c), panel);
                }
            }
            // The leftover depths (or everything, for partial groups without AVX-512 or an all-padding group), scalar.
            for (; p < kLen; p++)
                for (int c = 0; c < v; c++)
                    dst[(long)p * panel + c] = c < rows ? src[c * ldw + p] : T.Zero;
        }
    }

    // dst[q·ldd + i] = src[i·lds + q] for a 4×4 float block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose4x4(float* src, long lds, float* dst, long ldd)
        => Transpose4x4(Vector128.Load(src), Vector128.Load(src + lds), Vector128.Load(src + 2 * lds), Vector128.Load(src + 3 * lds), dst, ldd);

    // dst[q·ldd + i] = r_i[q] for the 4×4 float block of rows r0 … r3: interleave pairs of rows, then pair their halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose4x4(Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3, float* dst, long ldd)
    {
        if (Sse.IsSupported)
        {
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackLow(r2, r3);   // r00 r10 r01 r11 | r20 r30 r21 r31
            Vector128<float> t2 = Sse.UnpackHigh(r0, r1), t3 = Sse.UnpackHigh(r2, r3); // r02 r12 r03 r13 | r22 r32 r23 r33
            Vector128.Store(Sse.MoveLowToHigh(t0, t1), dst);
            Vector128.Store(Sse.MoveHighToLow(t1, t0), dst + ldd);
            Vector128.Store(Sse.MoveLowToHigh(t2, t3), dst + 2 * ldd);
            Vector128.Store(Sse.MoveHighToLow(t3, t2), dst + 3 * ldd);
        }
        else
        {
            // ARM64: TRN1/TRN2 on 32-bit lanes, then on 64-bit halves.
            Vector128<ulong> e01 = AdvSimd.Arm64.TransposeEven(r0, r1).AsUInt64(), o01 = AdvSimd.Arm64.TransposeOdd(r0, r1).AsUInt64(); // r00 r10 r02 r12 | r01 r11 r03 r13
            Vector128<ulong> e23 = AdvSimd.Arm64.TransposeEven(r2, r3).AsUInt64(), o23 = AdvSimd.Arm64.TransposeOdd(r2, r3).AsUInt64(); // r20 r30 r22 r32 | r21 r31 r23 r33
            Vector128.Store(AdvSimd.Arm64.TransposeEven(e01, e23).AsSingle(), dst);
            Vector128.Store(AdvSimd.Arm64.TransposeEven(o01, o23).AsSingle(), dst + ldd);
            Vector128.Store(AdvSimd.Arm64.TransposeOdd(e01, e23).AsSingle(), dst + 2 * ldd);
            Vector128.Store(AdvSimd.Arm64.TransposeOdd(o01, o23).AsSingle(), dst + 3 * ldd);
        }
    }

    // dst[q·ldd + i] = src[i·lds + q] for a 2×2 double block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose2x2(double* src, long lds, double* dst, long ldd)
        => Transpose2x2(Vector128.Load(src), Vector128.Load(src + lds), dst, ldd);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose2x2(Vector128<double> r0, Vector128<double> r1, double* dst, long ldd)
    {
        Vector128.Store(Sse2.IsSupported ? Sse2.UnpackLow(r0, r1) : AdvSimd.Arm64.ZipLow(r0, r1), dst);
        Vector128.Store(Sse2.IsSupported ? Sse2.UnpackHigh(r0, r1) : AdvSimd.Arm64.ZipHigh(r0, r1), dst + ldd);
    }

    // Row i (< rows) of a block with row stride ld, or zeros past the last row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Row(float* src, long ld, int i, int rows) => i < rows ? Vector512.Load(src + i * ld) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> Row(double* src, long ld, int i, int rows) => i < rows ? Vector512.Load(src + i * ld) : Vector512<double>.Zero;

    /// <summary>dst[q·ldd + i] = src[i·lds + q] for one v × v block at the Vector512 width (16 floats or 8 doubles), the
    /// source rows from <paramref name="rows"/> on read as zeros. AVX-512 only (the transposed forward of <see cref="Dense"/>).</summary>
    internal static unsafe void TransposeBlock512<T>(T* src, long lds, int rows, T* dst, long ldd) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Transpose16x16((float*)src, lds, rows, (float*)dst, ldd);
        else Transpose8x8((double*)src, lds, rows, (double*)dst, ldd);
    }

    /// <summary>dst[q·ldd + i] = src[i·lds + q] for one v × v block at the Vector256 width (8 floats or 4 doubles), the
    /// source rows from <paramref name="rows"/> on read as zeros. AVX only (the transposed forward of <see cref="Dense"/>).</summary>
    internal static unsafe void TransposeBlock256<T>(T* src, long lds, int rows, T* dst, long ldd) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Transpose8x8Avx((float*)src, lds, rows, (float*)dst, ldd);
        else Transpose4x4Avx((double*)src, lds, rows, (double*)dst, ldd);
    }

    /// <summary>dst[q·ldd + i] = src[i·lds + q] for one v × v block at the Vector128 width (4 floats or 2 doubles), the
    /// source rows from <paramref name="rows"/> on read as zeros (the transposed forward of <see cref="Dense"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void TransposeBlock128<T>(T* src, long lds, int rows, T* dst, long ldd) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)src;
            Transpose4x4(Row128(s, lds, 0, rows), Row128(s, lds, 1, rows), Row128(s, lds, 2, rows), Row128(s, lds, 3, rows), (float*)dst, ldd);
        }
        else Transpose2x2(Row128((double*)src, lds, 0, rows), Row128((double*)src, lds, 1, rows), (double*)dst, ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<float> Row128(float* src, long ld, int i, int rows) => i < rows ? Vector128.Load(src + i * ld) : Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<double> Row128(double* src, long ld, int i, int rows) => i < rows ? Vector128.Load(src + i * ld) : Vector128<double>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Row256(float* src, long ld, int i, int rows) => i < rows ? Vector256.Load(src + i * ld) : Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<double> Row256(double* src, long ld, int i, int rows) => i < rows ? Vector256.Load(src + i * ld) : Vector256<double>.Zero;

    // dst[q·ldd + i] = src[i·lds + q] for an 8×8 float block (source rows from `rows` on read as zeros): interleave 32-bit
    // pairs of rows, then 64-bit pairs, within each 128-bit lane, so that u[4m + j]'s low lane holds rows 4m … 4m+3 of
    // column j and its high lane those of column 4 + j; one 128-bit lane exchange between u[j] and u[4 + j] finishes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Transpose8x8Avx(float* src, long lds, int rows, float* dst, long ldd)
    {
        Vector256<float> r0 = Row256(src, lds, 0, rows), r1 = Row256(src, lds, 1, rows);
        Vector256<float> r2 = Row256(src, lds, 2, rows), r3 = Row256(src, lds, 3, rows);
        Vector256<float> r4 = Row256(src, lds, 4, rows), r5 = Row256(src, lds, 5, rows);
        Vector256<float> r6 = Row256(src, lds, 6, rows), r7 = Row256(src, lds, 7, rows);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = UnpackLow64(t0, t2), u1 = UnpackHigh64(t0, t2), u2 = UnpackLow64(t1, t3), u3 = UnpackHigh64(t1, t3);
        Vector256<float> u4 = UnpackLow64(t4, t6), u5 = UnpackHigh64(t4, t6), u6 = UnpackLow64(t5, t7), u7 = UnpackHigh64(t5, t7);
        const byte Low = 0x20, High = 0x31; // the low lanes of both operands, or the high lanes
        Vector256.Store(Avx.Permute2x128(u0, u4, Low), dst);
        Vector256.Store(Avx.Permute2x128(u1, u5, Low), dst + ldd);
        Vector256.Store(Avx.Permute2x128(u2, u6, Low), dst + 2 * ldd);
        Vector256.Store(Avx.Permute2x128(u3, u7, Low), dst + 3 * ldd);
        Vector256.Store(Avx.Permute2x128(u0, u4, High), dst + 4 * ldd);
        Vector256.Store(Avx.Permute2x128(u1, u5, High), dst + 5 * ldd);
        Vector256.Store(Avx.Permute2x128(u2, u6, High), dst + 6 * ldd);
        Vector256.Store(Avx.Permute2x128(u3, u7, High), dst + 7 * ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> UnpackLow64(Vector256<float> a, Vector256<float> b) => Avx.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> UnpackHigh64(Vector256<float> a, Vector256<float> b) => Avx.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    // dst[q·ldd + i] = src[i·lds + q] for a 4×4 double block: t0 = r00 r10 | r02 r12, t1 = r01 r11 | r03 r13, and t2, t3
    // the same of rows 2 and 3; columns 0 and 1 are the low lanes of (t0, t2) and (t1, t3), columns 2 and 3 the high.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose4x4Avx(double* src, long lds, int rows, double* dst, long ldd)
    {
        Vector256<double> r0 = Row256(src, lds, 0, rows), r1 = Row256(src, lds, 1, rows);
        Vector256<double> r2 = Row256(src, lds, 2, rows), r3 = Row256(src, lds, 3, rows);
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256.Store(Avx.Permute2x128(t0, t2, 0x20), dst);
        Vector256.Store(Avx.Permute2x128(t1, t3, 0x20), dst + ldd);
        Vector256.Store(Avx.Permute2x128(t0, t2, 0x31), dst + 2 * ldd);
        Vector256.Store(Avx.Permute2x128(t1, t3, 0x31), dst + 3 * ldd);
    }

    // dst[q·ldd + i] = src[i·lds + q] for a 16×16 float block (source rows from `rows` on read as zeros). The classic four-stage
    // transpose: after interleaving 32-bit and then 64-bit pairs within each 128-bit lane, u[4m + j]'s lane L holds
    // rows 4m … 4m+3 of column 4L + j; two rounds of 128-bit lane shuffles then gather the four lanes L of u[j], u[4+j],
    // u[8+j], u[12+j] into column 4L + j.
    // The JIT does not inline it into PackTransposed (DOTNET_JitDisasm shows a call; it has 48 vector locals), so it is
    // compiled optimised at its first call instead of running unoptimised until it tiers up.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Transpose16x16(float* src, long lds, int rows, float* dst, long ldd)
    {
        Vector512<float> r0 = Row(src, lds, 0, rows), r1 = Row(src, lds, 1, rows);
        Vector512<float> r2 = Row(src, lds, 2, rows), r3 = Row(src, lds, 3, rows);
        Vector512<float> r4 = Row(src, lds, 4, rows), r5 = Row(src, lds, 5, rows);
        Vector512<float> r6 = Row(src, lds, 6, rows), r7 = Row(src, lds, 7, rows);
        Vector512<float> r8 = Row(src, lds, 8, rows), r9 = Row(src, lds, 9, rows);
        Vector512<float> r10 = Row(src, lds, 10, rows), r11 = Row(src, lds, 11, rows);
        Vector512<float> r12 = Row(src, lds, 12, rows), r13 = Row(src, lds, 13, rows);
        Vector512<float> r14 = Row(src, lds, 14, rows), r15 = Row(src, lds, 15, rows);
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1);
        Vector512<float> t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<float> t2 = Avx512F.UnpackLow(r2, r3);
        Vector512<float> t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5);
        Vector512<float> t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<float> t6 = Avx512F.UnpackLow(r6, r7);
        Vector512<float> t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9);
        Vector512<float> t9 = Avx512F.UnpackHigh(r8, r9);
        Vector512<float> t10 = Avx512F.UnpackLow(r10, r11);
        Vector512<float> t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13);
        Vector512<float> t13 = Avx512F.UnpackHigh(r12, r13);
        Vector512<float> t14 = Avx512F.UnpackLow(r14, r15);
        Vector512<float> t15 = Avx512F.UnpackHigh(r14, r15);
        // u[4m + j] = 64-bit interleaves of the quartet t[4m] … t[4m+3].
        Vector512<float> u0 = UnpackLow64(t0, t2), u1 = UnpackHigh64(t0, t2), u2 = UnpackLow64(t1, t3), u3 = UnpackHigh64(t1, t3);
        Vector512<float> u4 = UnpackLow64(t4, t6), u5 = UnpackHigh64(t4, t6), u6 = UnpackLow64(t5, t7), u7 = UnpackHigh64(t5, t7);
        Vector512<float> u8 = UnpackLow64(t8, t10), u9 = UnpackHigh64(t8, t10), u10 = UnpackLow64(t9, t11), u11 = UnpackHigh64(t9, t11);
        Vector512<float> u12 = UnpackLow64(t12, t14), u13 = UnpackHigh64(t12, t14), u14 = UnpackLow64(t13, t15), u15 = UnpackHigh64(t13, t15);
        // Column 4L + j comes from lane L of u[j], u[4+j], u[8+j], u[12+j].
        GatherLanes(u0, u4, u8, u12, dst, 4 * ldd, 0);
        GatherLanes(u1, u5, u9, u13, dst, 4 * ldd, ldd);
        GatherLanes(u2, u6, u10, u14, dst, 4 * ldd, 2 * ldd);
        GatherLanes(u3, u7, u11, u15, dst, 4 * ldd, 3 * ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackLow64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackHigh64(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    // dst[q·ldd + i] = src[i·lds + q] for an 8×8 double block: after interleaving within 128-bit lanes, t[2m + j]'s
    // lane L holds rows 2m, 2m+1 of column 2L + j, and the same lane gathering as for floats finishes the transpose.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(double* src, long lds, int rows, double* dst, long ldd)
    {
        Vector512<double> r0 = Row(src, lds, 0, rows), r1 = Row(src, lds, 1, rows);
        Vector512<double> r2 = Row(src, lds, 2, rows), r3 = Row(src, lds, 3, rows);
        Vector512<double> r4 = Row(src, lds, 4, rows), r5 = Row(src, lds, 5, rows);
        Vector512<double> r6 = Row(src, lds, 6, rows), r7 = Row(src, lds, 7, rows);
        Vector512<double> t0 = Avx512F.UnpackLow(r0, r1);
        Vector512<double> t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<double> t2 = Avx512F.UnpackLow(r2, r3);
        Vector512<double> t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<double> t4 = Avx512F.UnpackLow(r4, r5);
        Vector512<double> t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<double> t6 = Avx512F.UnpackLow(r6, r7);
        Vector512<double> t7 = Avx512F.UnpackHigh(r6, r7);
        // Offsets in floats: column 2L + j of doubles starts at float (2L + j)·2·ldd.
        GatherLanes(t0.AsSingle(), t2.AsSingle(), t4.AsSingle(), t6.AsSingle(), (float*)dst, 4 * ldd, 0);
        GatherLanes(t1.AsSingle(), t3.AsSingle(), t5.AsSingle(), t7.AsSingle(), (float*)dst, 4 * ldd, 2 * ldd);
    }

    // Stores [a_L, b_L, c_L, d_L] (lane L of each, 128 bits) at dst + offset + L·laneStride for L = 0..3
    // (offsets in floats). Two rounds of vshuff32x4: first pairs (a, b) and (c, d) by even and odd lanes, then the pairs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void GatherLanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        float* dst, long laneStride, long offset)
    {
        const byte Even = 0b10_00_10_00, Odd = 0b11_01_11_01; // lanes (0, 2 | 0, 2) and (1, 3 | 1, 3)
        Vector512<float> abEven = Avx512F.Shuffle4x128(a, b, Even); // a0 a2 b0 b2
        Vector512<float> abOdd = Avx512F.Shuffle4x128(a, b, Odd);   // a1 a3 b1 b3
        Vector512<float> cdEven = Avx512F.Shuffle4x128(c, d, Even); // c0 c2 d0 d2
        Vector512<float> cdOdd = Avx512F.Shuffle4x128(c, d, Odd);   // c1 c3 d1 d3
        Vector512.Store(Avx512F.Shuffle4x128(abEven, cdEven, Even), dst + offset);                  // a0 b0 c0 d0
        Vector512.Store(Avx512F.Shuffle4x128(abOdd, cdOdd, Even), dst + offset + laneStride);       // a1 b1 c1 d1
        Vector512.Store(Avx512F.Shuffle4x128(abEven, cdEven, Odd), dst + offset + 2 * laneStride);  // a2 b2 c2 d2
        Vector512.Store(Avx512F.Shuffle4x128(abOdd, cdOdd, Odd), dst + offset + 3 * laneStride);    // a3 b3 c3 d3
    }
}

/// <summary>One packed-panel buffer per thread, allocated on the thread's first packed forward and reused for every
/// later call (so steady-state calls allocate nothing). It lives on the pinned object heap, so its address is fixed and
/// can be rounded up to a 64-byte boundary once: every packed row then starts on a cache line.</summary>
internal static class PackBuffer<T> where T : unmanaged
{
    /// <summary>Usable elements from <see cref="Get"/>.</summary>
    public static int Length => Packing.PanelBytes / Unsafe.SizeOf<T>();

    [ThreadStatic] private static T[]? t_buffer;

    /// <summary>A 64-byte-aligned pointer to <see cref="Length"/> elements owned by the calling thread.</summary>
    public static unsafe T* Get()
    {
        T[] buffer = t_buffer ??= GC.AllocateUninitializedArray<T>(Length + 64 / Unsafe.SizeOf<T>(), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (T*)((start + 63) & ~(nint)63);
    }
}
