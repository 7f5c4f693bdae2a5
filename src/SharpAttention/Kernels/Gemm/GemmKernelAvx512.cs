using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// AVX-512 micro-kernel, 12 rows × 32 columns: 24 zmm accumulators (12 rows × 2 vectors of 16). Two FMA pipes
/// with 4-cycle latency need at least 8 independent chains; 24 hide latency with room to spare, and each k step
/// does 24 FMAs against 2 vector loads of B and 12 broadcasts of A, so the loads never limit the FMA rate.
/// The 24 accumulators + 2 B vectors + 1 broadcast fit the 32 zmm registers without spilling.
/// </summary>
internal readonly unsafe struct GemmKernelAvx512 : IGemmKernel
{
    public static int MR => 12;
    public static int NR => 32;

    /// <summary>k steps before the end at which the C tile is prefetched. Prefetching at the start is useless:
    /// the A and B panels streaming through L1 (88 KiB at KC = 512) evict it again before the tile is written;
    /// 64 steps (~800 cycles) still cover a trip to DRAM. Without it the stores of C cost ~10 % of the time.</summary>
    const int PrefetchDistance = 64;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, bool overwrite)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, cA0 = default, cA1 = default, cB0 = default, cB1 = default;
        int prefetchAt = Math.Max(0, kc - PrefetchDistance);
        for (int p = 0; p < kc; p++)
        {
            if (p == prefetchAt)
            {
                // The 12 rows × 128 bytes of C this tile writes (three lines each when unaligned), brought into
                // L1 while the last steps run.
                float* pc = c;
                for (int r = 0; r < 12; r++, pc += ldc)
                {
                    Sse.Prefetch0(pc);
                    Sse.Prefetch0(pc + 16);
                    Sse.Prefetch0(pc + 31);
                }
            }
            // (1, 32) of B against (12, 1) of A: one rank-1 update of the (12, 32) tile.
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var x = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(x, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(x, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]);
            cA0 = Avx512F.FusedMultiplyAdd(x, b0, cA0);
            cA1 = Avx512F.FusedMultiplyAdd(x, b1, cA1);
            x = Vector512.Create(a[11]);
            cB0 = Avx512F.FusedMultiplyAdd(x, b0, cB0);
            cB1 = Avx512F.FusedMultiplyAdd(x, b1, cB1);
            a += 12;
            b += 32;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        Store(c, va, vb, overwrite, c00, c01); c += ldc;
        Store(c, va, vb, overwrite, c10, c11); c += ldc;
        Store(c, va, vb, overwrite, c20, c21); c += ldc;
        Store(c, va, vb, overwrite, c30, c31); c += ldc;
        Store(c, va, vb, overwrite, c40, c41); c += ldc;
        Store(c, va, vb, overwrite, c50, c51); c += ldc;
        Store(c, va, vb, overwrite, c60, c61); c += ldc;
        Store(c, va, vb, overwrite, c70, c71); c += ldc;
        Store(c, va, vb, overwrite, c80, c81); c += ldc;
        Store(c, va, vb, overwrite, c90, c91); c += ldc;
        Store(c, va, vb, overwrite, cA0, cA1); c += ldc;
        Store(c, va, vb, overwrite, cB0, cB1);
    }

    /// <summary>
    /// Transposing pack (see <see cref="IGemmKernel.PackTransposed"/>): 4 sources × 16 k steps at a time — four
    /// zmm loads, a 4×4 transpose inside each 128-bit lane (8 unpacks), then one 16-byte store per k step
    /// (lane L of u_q holds k step 4L + q of the 4 sources); a last pair of sources goes through
    /// <see cref="GemmKernelAvx2.PackPair"/>. Store-bound at ~8 floats a cycle, against ~1 for the scalar loop; this
    /// is what keeps A·B (A packed by rows) and A·Bᵀ (linear forward) cheap to pack.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed(float* src, nint stepE, int kc, int w, float* dst)
    {
        // 64 k steps at a time, so the lines being filled (64·w floats) stay in L1 while every group of 4 sources
        // writes its 16 bytes of them; whole panels (64 KiB at w = 32) would be evicted between groups.
        for (int p0 = 0; p0 < kc; p0 += 64)
        {
            int p1 = Math.Min(kc, p0 + 64);
            int g = 0;
            for (; g + 4 <= w; g += 4)
            {
                float* s0 = src + g * stepE, s1 = s0 + stepE, s2 = s1 + stepE, s3 = s2 + stepE;
                float* d = dst + p0 * w + g;
                int p = p0;
                for (; p + 16 <= p1; p += 16, d += 16 * w)
                {
                    var r0 = Avx512F.LoadVector512(s0 + p);
                    var r1 = Avx512F.LoadVector512(s1 + p);
                    var r2 = Avx512F.LoadVector512(s2 + p);
                    var r3 = Avx512F.LoadVector512(s3 + p);
                    var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();   // s0[4L] s1[4L] s0[4L+1] s1[4L+1]
                    var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();  // s0[4L+2] s1[4L+2] s0[4L+3] s1[4L+3]
                    var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
                    var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
                    var u0 = Avx512F.UnpackLow(t0, t2).AsSingle();   // s0..s3 at k step 4L
                    var u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();  // 4L + 1
                    var u2 = Avx512F.UnpackLow(t1, t3).AsSingle();   // 4L + 2
                    var u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();  // 4L + 3
                    StoreLane(u0, u1, u2, u3, 0, d, w);
                    StoreLane(u0, u1, u2, u3, 1, d + 4 * w, w);
                    StoreLane(u0, u1, u2, u3, 2, d + 8 * w, w);
                    StoreLane(u0, u1, u2, u3, 3, d + 12 * w, w);
                }
                for (; p < p1; p++, d += w)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            }
            if (g < w) GemmKernelAvx2.PackPair(src + g * stepE, stepE, p0, p1, w, dst + p0 * w + g);
        }
    }

    /// <summary>128-bit lane <paramref name="lane"/> of u0..u3: four consecutive k steps of 4 sources.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreLane(Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3, [ConstantExpected(Max = 3)] byte lane, float* d, int w)
    {
        Avx512F.ExtractVector128(u0, lane).Store(d);
        Avx512F.ExtractVector128(u1, lane).Store(d + w);
        Avx512F.ExtractVector128(u2, lane).Store(d + 2 * w);
        Avx512F.ExtractVector128(u3, lane).Store(d + 3 * w);
    }

    /// <summary>One row of the tile: C = alpha·acc (+ beta·C, one rounding, when C is read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector512<float> alpha, Vector512<float> beta, bool overwrite, Vector512<float> acc0, Vector512<float> acc1)
    {
        var r0 = Avx512F.Multiply(acc0, alpha);
        var r1 = Avx512F.Multiply(acc1, alpha);
        if (!overwrite)
        {
            r0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(c), beta, r0);
            r1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(c + 16), beta, r1);
        }
        Avx512F.Store(c, r0);
        Avx512F.Store(c + 16, r1);
    }
}
