using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// AVX2 + FMA micro-kernel, 6 rows × 16 columns: 12 ymm accumulators (6 rows × 2 vectors of 8), the classic
/// Haswell-era shape — 12 chains cover 2 pipes × 4-cycle latency plus 2 B vectors and 1 broadcast fill 15 of
/// the 16 ymm registers.
/// </summary>
internal readonly unsafe struct GemmKernelAvx2 : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 16;

    /// <summary>k steps before the end at which the C tile is prefetched (see <see cref="GemmKernelAvx512"/>).</summary>
    const int PrefetchDistance = 64;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, bool overwrite)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int prefetchAt = Math.Max(0, kc - PrefetchDistance);
        for (int p = 0; p < kc; p++)
        {
            if (p == prefetchAt)
            {
                // The 6 rows × 64 bytes of C (two lines each when unaligned) this tile writes.
                float* pc = c;
                for (int r = 0; r < 6; r++, pc += ldc)
                {
                    Sse.Prefetch0(pc);
                    Sse.Prefetch0(pc + 15);
                }
            }
            // (1, 16) of B against (6, 1) of A.
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var x = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(x, b0, c00);
            c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(x, b0, c10);
            c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(x, b0, c20);
            c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(x, b0, c30);
            c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(x, b0, c40);
            c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(x, b0, c50);
            c51 = Fma.MultiplyAdd(x, b1, c51);
            a += 6;
            b += 16;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        Store(c, va, vb, overwrite, c00, c01); c += ldc;
        Store(c, va, vb, overwrite, c10, c11); c += ldc;
        Store(c, va, vb, overwrite, c20, c21); c += ldc;
        Store(c, va, vb, overwrite, c30, c31); c += ldc;
        Store(c, va, vb, overwrite, c40, c41); c += ldc;
        Store(c, va, vb, overwrite, c50, c51);
    }

    /// <summary>
    /// Transposing pack (see <see cref="IGemmKernel.PackTransposed"/>): 4 sources × 8 k steps at a time — four
    /// ymm loads, a 4×4 transpose inside each 128-bit lane, then one 16-byte store per k step; a last pair of
    /// sources (w = 6, this kernel's A panels) goes through <see cref="PackPair"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed(float* src, nint stepE, int kc, int w, float* dst)
    {
        // 64 k steps at a time, so the lines being filled (64·w floats) stay in L1 while every group of sources
        // writes its part of them; whole panels (64 KiB at w = 32) would be evicted between groups.
        for (int p0 = 0; p0 < kc; p0 += 64)
        {
            int p1 = Math.Min(kc, p0 + 64);
            int g = 0;
            for (; g + 4 <= w; g += 4)
            {
                float* s0 = src + g * stepE, s1 = s0 + stepE, s2 = s1 + stepE, s3 = s2 + stepE;
                float* d = dst + p0 * w + g;
                int p = p0;
                for (; p + 8 <= p1; p += 8, d += 8 * w)
                {
                    var r0 = Avx.LoadVector256(s0 + p);
                    var r1 = Avx.LoadVector256(s1 + p);
                    var r2 = Avx.LoadVector256(s2 + p);
                    var r3 = Avx.LoadVector256(s3 + p);
                    var t0 = Avx.UnpackLow(r0, r1).AsDouble();   // s0[4L] s1[4L] s0[4L+1] s1[4L+1]
                    var t1 = Avx.UnpackHigh(r0, r1).AsDouble();  // s0[4L+2] s1[4L+2] s0[4L+3] s1[4L+3]
                    var t2 = Avx.UnpackLow(r2, r3).AsDouble();
                    var t3 = Avx.UnpackHigh(r2, r3).AsDouble();
                    var u0 = Avx.UnpackLow(t0, t2).AsSingle();   // s0..s3 at k step 4L
                    var u1 = Avx.UnpackHigh(t0, t2).AsSingle();  // 4L + 1
                    var u2 = Avx.UnpackLow(t1, t3).AsSingle();   // 4L + 2
                    var u3 = Avx.UnpackHigh(t1, t3).AsSingle();  // 4L + 3
                    u0.GetLower().Store(d);
                    u1.GetLower().Store(d + w);
                    u2.GetLower().Store(d + 2 * w);
                    u3.GetLower().Store(d + 3 * w);
                    u0.GetUpper().Store(d + 4 * w);
                    u1.GetUpper().Store(d + 5 * w);
                    u2.GetUpper().Store(d + 6 * w);
                    u3.GetUpper().Store(d + 7 * w);
                }
                for (; p < p1; p++, d += w)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            }
            if (g < w) PackPair(src + g * stepE, stepE, p0, p1, w, dst + p0 * w + g);
        }
    }

    /// <summary>
    /// Two sources s0 = <paramref name="src"/>, s1 = s0 + <paramref name="stepE"/> at k steps [p0, p1) into
    /// d[(p − p0)·w + 0..1] = (s0[p], s1[p]): 8 k steps at a time, two ymm loads interleaved into (s0, s1) pairs,
    /// one 8-byte store per k step. Also the tail of the AVX-512 pack, which has no narrower shuffles of its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PackPair(float* src, nint stepE, int p0, int p1, int w, float* d)
    {
        float* s0 = src, s1 = src + stepE;
        int p = p0;
        for (; p + 8 <= p1; p += 8, d += 8 * w)
        {
            var r0 = Avx.LoadVector256(s0 + p);
            var r1 = Avx.LoadVector256(s1 + p);
            var lo = Avx.UnpackLow(r0, r1);    // k steps 0, 1 | 4, 5 as (s0, s1) pairs
            var hi = Avx.UnpackHigh(r0, r1);   // k steps 2, 3 | 6, 7
            Sse.StoreLow(d, lo.GetLower());
            Sse.StoreHigh(d + w, lo.GetLower());
            Sse.StoreLow(d + 2 * w, hi.GetLower());
            Sse.StoreHigh(d + 3 * w, hi.GetLower());
            Sse.StoreLow(d + 4 * w, lo.GetUpper());
            Sse.StoreHigh(d + 5 * w, lo.GetUpper());
            Sse.StoreLow(d + 6 * w, hi.GetUpper());
            Sse.StoreHigh(d + 7 * w, hi.GetUpper());
        }
        for (; p < p1; p++, d += w)
        {
            d[0] = s0[p];
            d[1] = s1[p];
        }
    }

    /// <summary>One row of the tile: C = alpha·acc (+ beta·C, one rounding, when C is read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector256<float> alpha, Vector256<float> beta, bool overwrite, Vector256<float> acc0, Vector256<float> acc1)
    {
        var r0 = Avx.Multiply(acc0, alpha);
        var r1 = Avx.Multiply(acc1, alpha);
        if (!overwrite)
        {
            r0 = Fma.MultiplyAdd(Avx.LoadVector256(c), beta, r0);
            r1 = Fma.MultiplyAdd(Avx.LoadVector256(c + 8), beta, r1);
        }
        Avx.Store(c, r0);
        Avx.Store(c + 8, r1);
    }
}
