using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpAttention.Kernels.Simd;

namespace SharpAttention.Kernels.Attention;

/// <summary>
/// One SIMD width of the attention kernels: the vector type TV (Vector512, 256 or 128 of float) and the operations
/// the tiles use, as static members of a struct. FlashForward, FlashBackward and TileMath are written once, generic
/// over (TV, TW); the JIT compiles a separate copy per struct type argument with every member inlined, so each width
/// runs code as direct as a hand-written twin (TensorPrimitives' operator structs and the GEMM's per-ISA kernels
/// rely on the same specialisation). .NET has no public generic SIMD-vector interface, hence this small one.
/// </summary>
internal unsafe interface ITileWidth<TV> where TV : unmanaged
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Vectors of a tile row the micro-kernel keeps in registers at once: 4 with AVX-512's 32 registers
    /// (6×4 accumulators), 2 with AVX2's or SSE's 16 (6×2, the GEMM's 6×16 AVX2 shape).</summary>
    static abstract int PassVectors { get; }

    /// <summary>Whether <see cref="Fma"/> rounds once (false only for 128 bits on x86 without FMA).</summary>
    static abstract bool Fused { get; }

    static abstract TV Zero { get; }
    static abstract TV Splat(float x);
    static abstract TV SplatBits(uint x);
    /// <summary>0, 1, 2, … as floats.</summary>
    static abstract TV Indices { get; }
    /// <summary>first, first + 1, … as uint bits.</summary>
    static abstract TV IndexBits(uint first);
    static abstract TV Load(float* p);
    static abstract void Store(TV v, float* p);
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    /// <summary>a·b + c.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    /// <summary>One vmaxps (returns b when either is NaN).</summary>
    static abstract TV MaxNative(TV a, TV b);
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);
    static abstract TV Equal(TV a, TV b);
    static abstract TV LessThan(TV a, TV b);
    static abstract TV And(TV a, TV b);
    /// <summary>2^n from t = n + 1.5·2²³ (n in the low mantissa bits, −127 ≤ n ≤ 0): ((bits(t) − 0x4B400000 + 127) ≪ 23).</summary>
    static abstract TV Pow2(TV t);
    /// <summary><see cref="Count"/> consecutive bool mask entries as score biases: 0 where true, −∞ where false.</summary>
    static abstract TV BoolBias(bool* mask);
    /// <summary>Attention-dropout keep bits (all-ones where kept) of (row key, key index) pairs held as uint bits.</summary>
    static abstract TV KeepMask(TV rowKeys, TV keys, uint threshold);
    /// <summary>cols[k][c] = rows[c][k] for a <see cref="Count"/>×<see cref="Count"/> block (no overlap).</summary>
    static abstract void Transpose(TV* rows, TV* cols);
}

/// <summary>The attention width a call takes, and its name for <see cref="SharpAttention.KernelInfo.Describe"/>.</summary>
internal static class TileWidthSelect
{
    /// <summary>Bits of the attention tiles now: <see cref="SimdWidth.Current"/> (tests lower it), with the scalar
    /// setting running the 128-bit code (software vectors where the hardware has none; still far faster than the
    /// double-precision reference).</summary>
    public static int Current => Math.Max(128, SimdWidth.Current);

    /// <summary>How the in-register transposes of a width are done.</summary>
    public static string TransposeName(int bits) => bits switch
    {
        512 => Avx512F.IsSupported ? "avx512 16x16 in-register" : "scalar 16x16",
        256 => Avx.IsSupported ? "avx 8x8 in-register" : "scalar 8x8",
        _ => Sse.IsSupported ? "sse 4x4 in-register" : "portable 4x4",
    };

    /// <summary>Scalar transpose of an n×n block, the fallback of every width.</summary>
    public static unsafe void TransposeScalar(float* rows, float* cols, int n)
    {
        for (int k = 0; k < n; k++)
            for (int c = 0; c < n; c++) cols[k * n + c] = rows[c * n + k];
    }

    /// <summary>Scalar bool-mask biases, the fallback of every width.</summary>
    public static unsafe void BoolBiasScalar(bool* mask, float* dst, int n)
    {
        for (int k = 0; k < n; k++) dst[k] = mask[k] ? 0f : float.NegativeInfinity;
    }
}

/// <summary>AVX-512: 16 lanes.</summary>
internal readonly unsafe struct W512 : ITileWidth<Vector512<float>>
{
    public static int Count => 16;
    public static int PassVectors => 4;
    public static bool Fused => true;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> SplatBits(uint x) => Vector512.Create(x).AsSingle();
    public static Vector512<float> Indices => Vector512<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IndexBits(uint first) => (Vector512<uint>.Indices + Vector512.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> v, float* p) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxNative(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> t, Vector512<float> f) => Vector512.ConditionalSelect(mask, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2(Vector512<float> t) => Vector512.ShiftLeft(t.AsInt32() - Vector512.Create(0x4B400000 - 127), 23).AsSingle();

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
        TileWidthSelect.BoolBiasScalar(mask, buffer, 16);
        return Vector512.Load(buffer);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> KeepMask(Vector512<float> rowKeys, Vector512<float> keys, uint threshold) =>
        AttentionDropout.KeepMask(rowKeys.AsUInt32(), keys.AsUInt32(), threshold);

    /// <summary>16×16: unpack pairs of rows, then pairs of pairs, then two rounds of 128-bit lane shuffles, 64
    /// shuffles for 256 elements.</summary>
    public static void Transpose(Vector512<float>* rows, Vector512<float>* cols)
    {
        if (!Avx512F.IsSupported)
        {
            TileWidthSelect.TransposeScalar((float*)rows, (float*)cols, 16);
            return;
        }
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
}

/// <summary>AVX2 (+FMA): 8 lanes.</summary>
internal readonly unsafe struct W256 : ITileWidth<Vector256<float>>
{
    public static int Count => 8;
    public static int PassVectors => 2;
    public static bool Fused => true;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> SplatBits(uint x) => Vector256.Create(x).AsSingle();
    public static Vector256<float> Indices => Vector256<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IndexBits(uint first) => (Vector256<uint>.Indices + Vector256.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> v, float* p) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxNative(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> t, Vector256<float> f) => Vector256.ConditionalSelect(mask, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow2(Vector256<float> t) => Vector256.ShiftLeft(t.AsInt32() - Vector256.Create(0x4B400000 - 127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> BoolBias(bool* mask)
    {
        if (Avx2.IsSupported)
        {
            var widened = Avx2.ConvertToVector256Int32((byte*)mask);   // vpmovzxbd, 8 bytes
            return Vector256.ConditionalSelect(Vector256.Equals(widened, Vector256<int>.Zero).AsSingle(),
                                               Vector256.Create(float.NegativeInfinity), Vector256<float>.Zero);
        }
        var buffer = stackalloc float[8];
        TileWidthSelect.BoolBiasScalar(mask, buffer, 8);
        return Vector256.Load(buffer);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> KeepMask(Vector256<float> rowKeys, Vector256<float> keys, uint threshold) =>
        AttentionDropout.KeepMask(rowKeys.AsUInt32(), keys.AsUInt32(), threshold);

    /// <summary>8×8: unpack pairs of rows, shuffle pairs of pairs, then swap 128-bit halves (24 shuffles).</summary>
    public static void Transpose(Vector256<float>* rows, Vector256<float>* cols)
    {
        if (!Avx.IsSupported)
        {
            TileWidthSelect.TransposeScalar((float*)rows, (float*)cols, 8);
            return;
        }
        var t = stackalloc Vector256<float>[8];
        for (int k = 0; k < 8; k += 2)
        {
            t[k] = Avx.UnpackLow(rows[k], rows[k + 1]);       // r0[0] r1[0] r0[1] r1[1] per 128-bit half
            t[k + 1] = Avx.UnpackHigh(rows[k], rows[k + 1]);  // r0[2] r1[2] r0[3] r1[3]
        }
        for (int h = 0; h < 8; h += 4)
        {
            // Rows h..h+3: columns 0..3 within each 128-bit half (the upper half holds columns 4..7).
            var c0 = Avx.Shuffle(t[h], t[h + 2], 0x44);      // r0[0] r1[0] r2[0] r3[0]
            var c1 = Avx.Shuffle(t[h], t[h + 2], 0xEE);      // r0[1] r1[1] r2[1] r3[1]
            var c2 = Avx.Shuffle(t[h + 1], t[h + 3], 0x44);  // column 2
            var c3 = Avx.Shuffle(t[h + 1], t[h + 3], 0xEE);  // column 3
            t[h] = c0;
            t[h + 1] = c1;
            t[h + 2] = c2;
            t[h + 3] = c3;
        }
        for (int c = 0; c < 4; c++)
        {
            cols[c] = Avx.Permute2x128(t[c], t[4 + c], 0x20);      // low halves: column c of rows 0–3, then 4–7
            cols[c + 4] = Avx.Permute2x128(t[c], t[4 + c], 0x31);  // high halves: column c + 4
        }
    }
}

/// <summary>128 bits: SSE on x86, AdvSimd (NEON) on ARM64, software elsewhere. Only portable Vector128 operations
/// in the arithmetic; MultiplyAddEstimate fuses where the hardware can (ARM, x86 with FMA) and is multiply-then-add
/// on SSE-only x86, as in the GEMM's Vector128 kernel.</summary>
internal readonly unsafe struct W128 : ITileWidth<Vector128<float>>
{
    public static int Count => 4;
    public static int PassVectors => 2;
    public static bool Fused => System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> SplatBits(uint x) => Vector128.Create(x).AsSingle();
    public static Vector128<float> Indices => Vector128<float>.Indices;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IndexBits(uint first) => (Vector128<uint>.Indices + Vector128.Create(first)).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> v, float* p) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxNative(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> t, Vector128<float> f) => Vector128.ConditionalSelect(mask, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow2(Vector128<float> t) => Vector128.ShiftLeft(t.AsInt32() - Vector128.Create(0x4B400000 - 127), 23).AsSingle();

    /// <summary>Four bytes widened twice (pmovzxbd with SSE4.1, uxtl on ARM).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> BoolBias(bool* mask)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(mask)).AsByte();
        var widened = Vector128.WidenLower(Vector128.WidenLower(bytes));
        return Vector128.ConditionalSelect(Vector128.Equals(widened, Vector128<uint>.Zero).AsSingle(),
                                           Vector128.Create(float.NegativeInfinity), Vector128<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> KeepMask(Vector128<float> rowKeys, Vector128<float> keys, uint threshold) =>
        AttentionDropout.KeepMask(rowKeys.AsUInt32(), keys.AsUInt32(), threshold);

    /// <summary>4×4: SSE's unpack / move-half transpose; elsewhere element by element.</summary>
    public static void Transpose(Vector128<float>* rows, Vector128<float>* cols)
    {
        if (!Sse.IsSupported)
        {
            TileWidthSelect.TransposeScalar((float*)rows, (float*)cols, 4);
            return;
        }
        var t0 = Sse.UnpackLow(rows[0], rows[1]);    // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackLow(rows[2], rows[3]);    // r2[0] r3[0] r2[1] r3[1]
        var t2 = Sse.UnpackHigh(rows[0], rows[1]);   // r0[2] r1[2] r0[3] r1[3]
        var t3 = Sse.UnpackHigh(rows[2], rows[3]);   // r2[2] r3[2] r2[3] r3[3]
        cols[0] = Sse.MoveLowToHigh(t0, t1);
        cols[1] = Sse.MoveHighToLow(t1, t0);
        cols[2] = Sse.MoveLowToHigh(t2, t3);
        cols[3] = Sse.MoveHighToLow(t3, t2);
    }
}
