using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Kernels.Attention;

/// <summary>Vectors of 16 lanes per tile row: the lane width of a tile is 16·N floats.</summary>
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
/// The register-blocked micro-kernel every attention GEMM runs on, and the vector exp2. The kernel computes a tile
/// C[r, 0..16·N) for 6 rows r as Σ_t A(r, t)·B[t, 0..16·N): A(r, t) = rows.Rr[t·aStep] broadcast from a scalar, B
/// rows loaded as vectors — 6×N accumulators stay in registers for the whole sum (the GotoBLAS/BLIS micro-kernel
/// shape). A's rows being arbitrary pointers with a step lets one kernel read K rows (step 1), V columns (step =
/// row stride) and scratch tiles alike. Every lane sums t in order with one FMA per term, so results do not depend
/// on the tile a lane falls in or the ISA path. Vector512/256 lower to AVX-512/AVX2; raw intrinsics only widen bool masks and transpose mask blocks.
/// </summary>
internal static unsafe class TileMath
{
    public const int MR = 6;

    /// <summary>Whether the AVX-512 kernel runs (tests switch it off to cover the Vector256 path).</summary>
    internal static bool Use512 = Vector512.IsHardwareAccelerated;

    /// <summary>C = Σ (alpha and accumulate null/false), C += Σ (accumulate), or C = C∘alpha + Σ (alpha per lane);
    /// only the first <paramref name="rows"/> rows of C are written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Mma<TN>(float* c, long ldc, int rows, in Rows6 a, long aStep, float* b, long ldb, int count,
                               float* alpha = null, bool accumulate = false) where TN : struct, IVecCount
    {
        if (Use512 && rows > 4) Mma512<TN, SixRows>(c, ldc, rows, a, aStep, b, ldb, count, alpha, accumulate);
        else if (Use512) Mma512<TN, FourRows>(c, ldc, rows, a, aStep, b, ldb, count, alpha, accumulate);
        else Mma256(c, ldc, rows, a, aStep, b, ldb, count, TN.N * 16, alpha, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Mma512<TN, TR>(float* c, long ldc, int rows, in Rows6 rows6, long aStep, float* b, long ldb, int count,
                               float* alpha, bool accumulate) where TN : struct, IVecCount where TR : struct, IRowCount
    {
        float* a0 = rows6.R0, a1 = rows6.R1, a2 = rows6.R2, a3 = rows6.R3, a4 = rows6.R4, a5 = rows6.R5;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        long o = 0;
        for (int t = 0; t < count; t++, o += aStep, b += ldb)
        {
            var b0 = Vector512.Load(b);
            var b1 = TN.N > 1 ? Vector512.Load(b + 16) : default;
            var b2 = TN.N > 2 ? Vector512.Load(b + 32) : default;
            var b3 = TN.N > 3 ? Vector512.Load(b + 48) : default;
            var x = Vector512.Create(a0[o]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            if (TN.N > 1) c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            if (TN.N > 2) c02 = Vector512.FusedMultiplyAdd(x, b2, c02);
            if (TN.N > 3) c03 = Vector512.FusedMultiplyAdd(x, b3, c03);
            x = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            if (TN.N > 1) c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            if (TN.N > 2) c12 = Vector512.FusedMultiplyAdd(x, b2, c12);
            if (TN.N > 3) c13 = Vector512.FusedMultiplyAdd(x, b3, c13);
            x = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            if (TN.N > 1) c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            if (TN.N > 2) c22 = Vector512.FusedMultiplyAdd(x, b2, c22);
            if (TN.N > 3) c23 = Vector512.FusedMultiplyAdd(x, b3, c23);
            x = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            if (TN.N > 1) c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            if (TN.N > 2) c32 = Vector512.FusedMultiplyAdd(x, b2, c32);
            if (TN.N > 3) c33 = Vector512.FusedMultiplyAdd(x, b3, c33);
            if (!TR.Six) continue;
            x = Vector512.Create(a4[o]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            if (TN.N > 1) c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            if (TN.N > 2) c42 = Vector512.FusedMultiplyAdd(x, b2, c42);
            if (TN.N > 3) c43 = Vector512.FusedMultiplyAdd(x, b3, c43);
            x = Vector512.Create(a5[o]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            if (TN.N > 1) c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            if (TN.N > 2) c52 = Vector512.FusedMultiplyAdd(x, b2, c52);
            if (TN.N > 3) c53 = Vector512.FusedMultiplyAdd(x, b3, c53);
        }
        Store512<TN>(c, alpha, accumulate, c00, c01, c02, c03);
        if (rows > 1) Store512<TN>(c + ldc, alpha, accumulate, c10, c11, c12, c13);
        if (rows > 2) Store512<TN>(c + 2 * ldc, alpha, accumulate, c20, c21, c22, c23);
        if (rows > 3) Store512<TN>(c + 3 * ldc, alpha, accumulate, c30, c31, c32, c33);
        if (TR.Six && rows > 4) Store512<TN>(c + 4 * ldc, alpha, accumulate, c40, c41, c42, c43);
        if (TR.Six && rows > 5) Store512<TN>(c + 5 * ldc, alpha, accumulate, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store512<TN>(float* c, float* alpha, bool accumulate, Vector512<float> v0, Vector512<float> v1,
                             Vector512<float> v2, Vector512<float> v3) where TN : struct, IVecCount
    {
        Store1(c, alpha, accumulate, v0);
        if (TN.N > 1) Store1(c + 16, alpha == null ? null : alpha + 16, accumulate, v1);
        if (TN.N > 2) Store1(c + 32, alpha == null ? null : alpha + 32, accumulate, v2);
        if (TN.N > 3) Store1(c + 48, alpha == null ? null : alpha + 48, accumulate, v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store1(float* c, float* alpha, bool accumulate, Vector512<float> v)
    {
        if (alpha != null) v = Vector512.FusedMultiplyAdd(Vector512.Load(c), Vector512.Load(alpha), v);
        else if (accumulate) v += Vector512.Load(c);
        v.Store(c);
    }

    /// <summary>The same tile for CPUs without AVX-512: one row at a time, 16 lanes (two Vector256) per pass,
    /// keeping each lane's order of terms.</summary>
    static void Mma256(float* c, long ldc, int rows, in Rows6 a, long aStep, float* b, long ldb, int count, int lanes,
                       float* alpha, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* ar = r switch { 0 => a.R0, 1 => a.R1, 2 => a.R2, 3 => a.R3, 4 => a.R4, _ => a.R5 };
            for (int n = 0; n < lanes; n += 16)
            {
                Vector256<float> lo = default, hi = default;
                float* bn = b + n;
                long o = 0;
                for (int t = 0; t < count; t++, o += aStep, bn += ldb)
                {
                    var x = Vector256.Create(ar[o]);
                    lo = Vector256.FusedMultiplyAdd(x, Vector256.Load(bn), lo);
                    hi = Vector256.FusedMultiplyAdd(x, Vector256.Load(bn + 8), hi);
                }
                float* cn = c + r * ldc + n;
                if (alpha != null)
                {
                    lo = Vector256.FusedMultiplyAdd(Vector256.Load(cn), Vector256.Load(alpha + n), lo);
                    hi = Vector256.FusedMultiplyAdd(Vector256.Load(cn + 8), Vector256.Load(alpha + n + 8), hi);
                }
                else if (accumulate)
                {
                    lo += Vector256.Load(cn);
                    hi += Vector256.Load(cn + 8);
                }
                lo.Store(cn);
                hi.Store(cn + 8);
            }
        }
    }

    /// <summary>2^x for x ≤ 0 (softmax arguments after the max is subtracted); x ≤ −127 and −∞ give exactly 0.
    /// 2^x = 2^n · 2^f with n = round(x), f ∈ [−½, ½], 2^f a degree-6 polynomial (Chebyshev fit, relative error
    /// 2.5e-9), and 2^n built in the exponent bits (n = −127 gives the bit pattern of +0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp2(Vector512<float> x)
    {
        const float Round = 12582912f;   // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits
        // One vmaxps (Max's IEEE NaN and ±0 rules cost three instructions); it returns its second operand when either
        // is NaN, so a NaN argument still gives NaN.
        x = Vector512.MaxNative(Vector512.Create(-127f), x);
        var t = x + Vector512.Create(Round);
        var f = x - (t - Vector512.Create(Round));
        // t's bits are 0x4B400000 + n; (n + 127) << 23 is 2^n.
        var scale = Vector512.ShiftLeft(t.AsInt32() - Vector512.Create(0x4B400000 - 127), 23).AsSingle();
        return Poly(f) * scale;
    }

    /// <summary><see cref="Exp2(Vector512{float})"/> of the first N of four vectors, step by step side by side: each
    /// exp2 is a chain of a dozen dependent instructions, and interleaving four keeps the FMA pipes busy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Exp2<TN>(ref Vector512<float> x0, ref Vector512<float> x1, ref Vector512<float> x2, ref Vector512<float> x3)
        where TN : struct, IVecCount
    {
        const float Round = 12582912f;
        var lo = Vector512.Create(-127f);
        var rnd = Vector512.Create(Round);
        var a0 = Vector512.MaxNative(lo, x0);
        var a1 = TN.N > 1 ? Vector512.MaxNative(lo, x1) : default;
        var a2 = TN.N > 2 ? Vector512.MaxNative(lo, x2) : default;
        var a3 = TN.N > 3 ? Vector512.MaxNative(lo, x3) : default;
        var t0 = a0 + rnd;
        var t1 = a1 + rnd;
        var t2 = a2 + rnd;
        var t3 = a3 + rnd;
        var f0 = a0 - (t0 - rnd);
        var f1 = a1 - (t1 - rnd);
        var f2 = a2 - (t2 - rnd);
        var f3 = a3 - (t3 - rnd);
        var p0 = Poly(f0);
        var p1 = TN.N > 1 ? Poly(f1) : default;
        var p2 = TN.N > 2 ? Poly(f2) : default;
        var p3 = TN.N > 3 ? Poly(f3) : default;
        var bias = Vector512.Create(0x4B400000 - 127);
        x0 = p0 * Vector512.ShiftLeft(t0.AsInt32() - bias, 23).AsSingle();
        if (TN.N > 1) x1 = p1 * Vector512.ShiftLeft(t1.AsInt32() - bias, 23).AsSingle();
        if (TN.N > 2) x2 = p2 * Vector512.ShiftLeft(t2.AsInt32() - bias, 23).AsSingle();
        if (TN.N > 3) x3 = p3 * Vector512.ShiftLeft(t3.AsInt32() - bias, 23).AsSingle();
    }

    /// <summary>2^f on [−½, ½] (the polynomial of <see cref="Exp2(Vector512{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Poly(Vector512<float> f)
    {
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.5461444695632573e-4f), f, Vector512.Create(1.3400428177416093e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(9.61805667853236e-3f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(5.550327226670846e-2f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(0.2402265092228873f));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(0.6931472067028324f));
        return Vector512.FusedMultiplyAdd(p, f, Vector512.Create(1f));
    }

    /// <summary>16 consecutive bool mask entries as score biases: 0 where true (may attend), −∞ where false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BoolBias(bool* mask)
    {
        if (Avx512F.IsSupported)
        {
            var widened = Avx512F.ConvertToVector512Int32(Vector128.Load((byte*)mask));   // vpmovzxbd
            return Vector512.ConditionalSelect(Vector512.Equals(widened, Vector512<int>.Zero).AsSingle(),
                                               Vector512.Create(float.NegativeInfinity), Vector512<float>.Zero);
        }
        var buffer = stackalloc float[16];
        for (int k = 0; k < 16; k++) buffer[k] = mask[k] ? 0f : float.NegativeInfinity;
        return Vector512.Load(buffer);
    }

    public static bool CanTranspose => Avx512F.IsSupported;

    /// <summary>cols[k][c] = rows[c][k] for a 16×16 block (rows and cols may not overlap): an in-register transpose
    /// (unpack pairs of rows, then pairs of pairs, then two rounds of 128-bit lane shuffles), 64 shuffles for 256
    /// elements. Only when <see cref="CanTranspose"/>.</summary>
    public static void Transpose16(Vector512<float>* rows, Vector512<float>* cols)
    {
        var t = stackalloc Vector512<float>[16];
        for (int k = 0; k < 16; k += 2)
        {
            t[k] = Avx512F.UnpackLow(rows[k], rows[k + 1]);       // r0[0] r1[0] r0[1] r1[1] per 128-bit lane
            t[k + 1] = Avx512F.UnpackHigh(rows[k], rows[k + 1]);  // r0[2] r1[2] r0[3] r1[3]
        }
        var u = stackalloc Vector512<float>[16];
        for (int k = 0; k < 16; k += 4)
        {
            u[k] = Avx512F.UnpackLow(t[k].AsDouble(), t[k + 2].AsDouble()).AsSingle();          // column 0 (+4, +8, +12)
            u[k + 1] = Avx512F.UnpackHigh(t[k].AsDouble(), t[k + 2].AsDouble()).AsSingle();     // column 1
            u[k + 2] = Avx512F.UnpackLow(t[k + 1].AsDouble(), t[k + 3].AsDouble()).AsSingle();  // column 2
            u[k + 3] = Avx512F.UnpackHigh(t[k + 1].AsDouble(), t[k + 3].AsDouble()).AsSingle(); // column 3
        }
        for (int c = 0; c < 4; c++)
        {
            // u[c], u[4 + c], u[8 + c], u[12 + c] hold columns c, c + 4, c + 8, c + 12 of rows 0–3, 4–7, 8–11, 12–15.
            var v0 = Avx512F.Shuffle4x128(u[c], u[4 + c], 0x88);        // lanes 0, 2 of each: columns c and c + 8
            var v1 = Avx512F.Shuffle4x128(u[c], u[4 + c], 0xDD);        // lanes 1, 3: columns c + 4 and c + 12
            var v2 = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0x88);
            var v3 = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0xDD);
            cols[c] = Avx512F.Shuffle4x128(v0, v2, 0x88);
            cols[c + 8] = Avx512F.Shuffle4x128(v0, v2, 0xDD);
            cols[c + 4] = Avx512F.Shuffle4x128(v1, v3, 0x88);
            cols[c + 12] = Avx512F.Shuffle4x128(v1, v3, 0xDD);
        }
    }

    /// <summary>dst[k·ld + c] += rows[c][k] for a 16×16 block (<see cref="Transpose16"/>).</summary>
    public static void AddTransposed16(Vector512<float>* rows, float* dst, long ld)
    {
        var cols = stackalloc Vector512<float>[16];
        Transpose16(rows, cols);
        for (int k = 0; k < 16; k++) (Vector512.Load(dst + k * ld) + cols[k]).Store(dst + k * ld);
    }

    /// <summary>Scalar 2^x with the same conventions, for tails and tests.</summary>
    public static float Exp2(float x) => Exp2(Vector512.Create(x)).ToScalar();

    /// <summary>A 64-byte-aligned float pointer into a pinned array that lives as long as the thread (workspaces).</summary>
    public static float* Aligned(ref float[]? buffer, long floats)
    {
        if (buffer == null || buffer.LongLength < floats + 16)
            buffer = GC.AllocateUninitializedArray<float>((int)Math.Max(floats + 16, (buffer?.LongLength ?? 0) * 5 / 4), pinned: true);
        var p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)(((nuint)p + 63) & ~(nuint)63);
    }
}
