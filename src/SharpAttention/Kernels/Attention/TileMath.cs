using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Attention;

/// <summary>Vectors per tile row: the lane width of a tile is N·W floats for W lanes per vector.</summary>
internal interface IVecCount
{
    static abstract int N { get; }
}

internal struct Vec1 : IVecCount { public static int N => 1; }
internal struct Vec2 : IVecCount { public static int N => 2; }
internal struct Vec3 : IVecCount { public static int N => 3; }
internal struct Vec4 : IVecCount { public static int N => 4; }

/// <summary>Rows of A a micro-kernel call computes (4 for tails, so a head dim of 64 = 10·6 + 4 wastes nothing).</summary>
internal interface IRowCount
{
    static abstract bool Six { get; }
}

internal struct FourRows : IRowCount { public static bool Six => false; }
internal struct SixRows : IRowCount { public static bool Six => true; }

/// <summary>Six row pointers of A; a row past the last valid one repeats a valid row (its results are not stored).</summary>
internal unsafe struct Rows6
{
    public float* R0, R1, R2, R3, R4, R5;

    /// <summary>Rows base + r·step for r &lt; count, clamped to the last valid row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Rows6 Strided(float* first, long step, int count)
    {
        int last = count - 1;
        return new Rows6
        {
            R0 = first, R1 = first + Math.Min(1, last) * step, R2 = first + Math.Min(2, last) * step,
            R3 = first + Math.Min(3, last) * step, R4 = first + Math.Min(4, last) * step, R5 = first + Math.Min(5, last) * step,
        };
    }
}

/// <summary>
/// The register-blocked micro-kernel every attention GEMM runs on, and the vector exp2, generic over the SIMD width
/// (<see cref="ITileWidth{TV}"/>: one source, one compiled copy per width). The kernel computes a tile
/// C[r, 0..W·N) for 6 rows r as Σ_t A(r, t)·B[t, 0..W·N), W = lanes per vector: A(r, t) = rows.Rr[t·aStep] broadcast
/// from a scalar, B rows loaded as vectors — 6×N accumulators stay in registers for the whole sum (the
/// GotoBLAS/BLIS micro-kernel shape). A's rows being arbitrary pointers with a step lets one kernel read K rows
/// (step 1), V columns (step = row stride) and scratch tiles alike. Every lane sums t in order with one FMA per term,
/// so results do not depend on the tile a lane falls in or the width (where the width's FMA is fused).
/// <para>Register budget: AVX-512 has 32 registers, so a tile row of up to 4 vectors is one pass (24 accumulators);
/// AVX2 and SSE have 16, so wider tiles go in passes of 2 vectors (12 accumulators + 2 B + 1 broadcast = 15, the
/// GEMM's 6×16 AVX2 shape), each pass re-reading the same A scalars from L1.</para>
/// </summary>
internal static unsafe class TileMath
{
    public const int MR = 6;

    /// <summary>C = Σ (alpha and accumulate null/false), C += Σ (accumulate), or C = C∘alpha + Σ (alpha per lane);
    /// only the first <paramref name="rows"/> rows of C are written. C and B rows hold TN.N vectors of TW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mma<TV, TW, TN>(float* c, long ldc, int rows, in Rows6 a, long aStep, float* b, long ldb, int count,
                                       float* alpha = null, bool accumulate = false)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        if (TN.N <= TW.PassVectors)
        {
            if (rows > 4) Kernel<TV, TW, TN, SixRows>(c, ldc, rows, a, aStep, b, ldb, count, alpha, accumulate);
            else Kernel<TV, TW, TN, FourRows>(c, ldc, rows, a, aStep, b, ldb, count, alpha, accumulate);
            return;
        }
        // 16 registers: two vectors, then the remaining one or two.
        int lanes = 2 * TW.Count;
        float* alpha2 = alpha == null ? null : alpha + lanes;
        Mma<TV, TW, Vec2>(c, ldc, rows, a, aStep, b, ldb, count, alpha, accumulate);
        if (TN.N == 3) Mma<TV, TW, Vec1>(c + lanes, ldc, rows, a, aStep, b + lanes, ldb, count, alpha2, accumulate);
        else Mma<TV, TW, Vec2>(c + lanes, ldc, rows, a, aStep, b + lanes, ldb, count, alpha2, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel<TV, TW, TN, TR>(float* c, long ldc, int rows, in Rows6 rows6, long aStep, float* b, long ldb, int count,
                                       float* alpha, bool accumulate)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount where TR : struct, IRowCount
    {
        int w = TW.Count;
        float* a0 = rows6.R0, a1 = rows6.R1, a2 = rows6.R2, a3 = rows6.R3, a4 = rows6.R4, a5 = rows6.R5;
        TV c00 = default, c01 = default, c02 = default, c03 = default;
        TV c10 = default, c11 = default, c12 = default, c13 = default;
        TV c20 = default, c21 = default, c22 = default, c23 = default;
        TV c30 = default, c31 = default, c32 = default, c33 = default;
        TV c40 = default, c41 = default, c42 = default, c43 = default;
        TV c50 = default, c51 = default, c52 = default, c53 = default;
        long o = 0;
        for (int t = 0; t < count; t++, o += aStep, b += ldb)
        {
            var b0 = TW.Load(b);
            var b1 = TN.N > 1 ? TW.Load(b + w) : default;
            var b2 = TN.N > 2 ? TW.Load(b + 2 * w) : default;
            var b3 = TN.N > 3 ? TW.Load(b + 3 * w) : default;
            var x = TW.Splat(a0[o]);
            c00 = TW.Fma(x, b0, c00);
            if (TN.N > 1) c01 = TW.Fma(x, b1, c01);
            if (TN.N > 2) c02 = TW.Fma(x, b2, c02);
            if (TN.N > 3) c03 = TW.Fma(x, b3, c03);
            x = TW.Splat(a1[o]);
            c10 = TW.Fma(x, b0, c10);
            if (TN.N > 1) c11 = TW.Fma(x, b1, c11);
            if (TN.N > 2) c12 = TW.Fma(x, b2, c12);
            if (TN.N > 3) c13 = TW.Fma(x, b3, c13);
            x = TW.Splat(a2[o]);
            c20 = TW.Fma(x, b0, c20);
            if (TN.N > 1) c21 = TW.Fma(x, b1, c21);
            if (TN.N > 2) c22 = TW.Fma(x, b2, c22);
            if (TN.N > 3) c23 = TW.Fma(x, b3, c23);
            x = TW.Splat(a3[o]);
            c30 = TW.Fma(x, b0, c30);
            if (TN.N > 1) c31 = TW.Fma(x, b1, c31);
            if (TN.N > 2) c32 = TW.Fma(x, b2, c32);
            if (TN.N > 3) c33 = TW.Fma(x, b3, c33);
            if (!TR.Six) continue;
            x = TW.Splat(a4[o]);
            c40 = TW.Fma(x, b0, c40);
            if (TN.N > 1) c41 = TW.Fma(x, b1, c41);
            if (TN.N > 2) c42 = TW.Fma(x, b2, c42);
            if (TN.N > 3) c43 = TW.Fma(x, b3, c43);
            x = TW.Splat(a5[o]);
            c50 = TW.Fma(x, b0, c50);
            if (TN.N > 1) c51 = TW.Fma(x, b1, c51);
            if (TN.N > 2) c52 = TW.Fma(x, b2, c52);
            if (TN.N > 3) c53 = TW.Fma(x, b3, c53);
        }
        StoreRow<TV, TW, TN>(c, alpha, accumulate, c00, c01, c02, c03);
        if (rows > 1) StoreRow<TV, TW, TN>(c + ldc, alpha, accumulate, c10, c11, c12, c13);
        if (rows > 2) StoreRow<TV, TW, TN>(c + 2 * ldc, alpha, accumulate, c20, c21, c22, c23);
        if (rows > 3) StoreRow<TV, TW, TN>(c + 3 * ldc, alpha, accumulate, c30, c31, c32, c33);
        if (TR.Six && rows > 4) StoreRow<TV, TW, TN>(c + 4 * ldc, alpha, accumulate, c40, c41, c42, c43);
        if (TR.Six && rows > 5) StoreRow<TV, TW, TN>(c + 5 * ldc, alpha, accumulate, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow<TV, TW, TN>(float* c, float* alpha, bool accumulate, TV v0, TV v1, TV v2, TV v3)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        int w = TW.Count;
        Store1<TV, TW>(c, alpha, accumulate, v0);
        if (TN.N > 1) Store1<TV, TW>(c + w, alpha == null ? null : alpha + w, accumulate, v1);
        if (TN.N > 2) Store1<TV, TW>(c + 2 * w, alpha == null ? null : alpha + 2 * w, accumulate, v2);
        if (TN.N > 3) Store1<TV, TW>(c + 3 * w, alpha == null ? null : alpha + 3 * w, accumulate, v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store1<TV, TW>(float* c, float* alpha, bool accumulate, TV v) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        if (alpha != null) v = TW.Fma(TW.Load(c), TW.Load(alpha), v);
        else if (accumulate) v = TW.Add(v, TW.Load(c));
        TW.Store(v, c);
    }

    /// <summary>2^x for x ≤ 0 (softmax arguments after the max is subtracted); x ≤ −127 and −∞ give exactly 0.
    /// 2^x = 2^n · 2^f with n = round(x), f ∈ [−½, ½], 2^f a degree-6 polynomial (Chebyshev fit, relative error
    /// 2.5e-9), and 2^n built in the exponent bits (n = −127 gives the bit pattern of +0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp2<TV, TW>(TV x) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        const float Round = 12582912f;   // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
        // One vmaxps (Max's IEEE NaN and ±0 rules cost three instructions); it returns its second operand when either
        // is NaN, so a NaN argument still gives NaN.
        x = TW.MaxNative(TW.Splat(-127f), x);
        var t = TW.Add(x, TW.Splat(Round));
        var f = TW.Sub(x, TW.Sub(t, TW.Splat(Round)));
        return TW.Mul(Poly<TV, TW>(f), TW.Pow2(t));
    }

    /// <summary><see cref="Exp2{TV, TW}(TV)"/> of the first N of four vectors, step by step side by side: each exp2
    /// is a chain of a dozen dependent instructions, and interleaving four keeps the FMA pipes busy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exp2<TV, TW, TN>(ref TV x0, ref TV x1, ref TV x2, ref TV x3)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        const float Round = 12582912f;
        var lo = TW.Splat(-127f);
        var rnd = TW.Splat(Round);
        var a0 = TW.MaxNative(lo, x0);
        var a1 = TN.N > 1 ? TW.MaxNative(lo, x1) : default;
        var a2 = TN.N > 2 ? TW.MaxNative(lo, x2) : default;
        var a3 = TN.N > 3 ? TW.MaxNative(lo, x3) : default;
        var t0 = TW.Add(a0, rnd);
        var t1 = TW.Add(a1, rnd);
        var t2 = TW.Add(a2, rnd);
        var t3 = TW.Add(a3, rnd);
        var f0 = TW.Sub(a0, TW.Sub(t0, rnd));
        var f1 = TW.Sub(a1, TW.Sub(t1, rnd));
        var f2 = TW.Sub(a2, TW.Sub(t2, rnd));
        var f3 = TW.Sub(a3, TW.Sub(t3, rnd));
        var p0 = Poly<TV, TW>(f0);
        var p1 = TN.N > 1 ? Poly<TV, TW>(f1) : default;
        var p2 = TN.N > 2 ? Poly<TV, TW>(f2) : default;
        var p3 = TN.N > 3 ? Poly<TV, TW>(f3) : default;
        x0 = TW.Mul(p0, TW.Pow2(t0));
        if (TN.N > 1) x1 = TW.Mul(p1, TW.Pow2(t1));
        if (TN.N > 2) x2 = TW.Mul(p2, TW.Pow2(t2));
        if (TN.N > 3) x3 = TW.Mul(p3, TW.Pow2(t3));
    }

    /// <summary>2^f on [−½, ½] (the polynomial of <see cref="Exp2{TV, TW}(TV)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TV Poly<TV, TW>(TV f) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        var p = TW.Fma(TW.Splat(1.5461444695632573e-4f), f, TW.Splat(1.3400428177416093e-3f));
        p = TW.Fma(p, f, TW.Splat(9.61805667853236e-3f));
        p = TW.Fma(p, f, TW.Splat(5.550327226670846e-2f));
        p = TW.Fma(p, f, TW.Splat(0.2402265092228873f));
        p = TW.Fma(p, f, TW.Splat(0.6931472067028324f));
        return TW.Fma(p, f, TW.Splat(1f));
    }

    /// <summary>dst[k·ld + c] += rows[c][k] for a W×W block (<see cref="ITileWidth{TV}.Transpose"/>).</summary>
    public static void AddTransposed<TV, TW>(TV* rows, float* dst, long ld) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        var cols = stackalloc TV[TW.Count];
        TW.Transpose(rows, cols);
        for (int k = 0; k < TW.Count; k++) TW.Store(TW.Add(TW.Load(dst + k * ld), cols[k]), dst + k * ld);
    }

    /// <summary>Scalar 2^x with the same conventions, for tails and tests.</summary>
    public static float Exp2(float x) => Exp2<Vector128<float>, W128>(Vector128.Create(x)).ToScalar();

    /// <summary>A 64-byte-aligned float pointer into a pinned array that lives as long as the thread (workspaces).</summary>
    public static float* Aligned(ref float[]? buffer, long floats)
    {
        if (buffer == null || buffer.LongLength < floats + 16)
            buffer = GC.AllocateUninitializedArray<float>((int)Math.Max(floats + 16, (buffer?.LongLength ?? 0) * 5 / 4), pinned: true);
        var p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)(((nuint)p + 63) & ~(nuint)63);
    }
}
