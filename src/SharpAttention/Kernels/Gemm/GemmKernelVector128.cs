using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// Portable 128-bit micro-kernel, 6 rows × 8 columns: 12 accumulators of 4 lanes, for SSE-only x86 and for ARM
/// (AdvSimd). MultiplyAddEstimate fuses where the hardware can (ARM, x86 with FMA) and is multiply-then-add
/// elsewhere — either way the same instruction for every element, so results stay independent of the split.
/// 12 accumulators + 2 B + 1 broadcast fit x86's 16 xmm registers; ARM has 32.
/// </summary>
internal readonly unsafe struct GemmKernelVector128 : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, bool overwrite)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            // (1, 8) of B against (6, 1) of A.
            var b0 = Vector128.LoadAligned(b);
            var b1 = Vector128.LoadAligned(b + 4);
            var x = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
            x = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
            x = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
            x = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
            x = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(x, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(x, b1, c41);
            x = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(x, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(x, b1, c51);
            a += 6;
            b += 8;
        }

        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        Store(c, va, vb, overwrite, c00, c01); c += ldc;
        Store(c, va, vb, overwrite, c10, c11); c += ldc;
        Store(c, va, vb, overwrite, c20, c21); c += ldc;
        Store(c, va, vb, overwrite, c30, c31); c += ldc;
        Store(c, va, vb, overwrite, c40, c41); c += ldc;
        Store(c, va, vb, overwrite, c50, c51);
    }

    /// <summary>One row of the tile: C = alpha·acc (+ beta·C when C is read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, Vector128<float> alpha, Vector128<float> beta, bool overwrite, Vector128<float> acc0, Vector128<float> acc1)
    {
        var r0 = acc0 * alpha;
        var r1 = acc1 * alpha;
        if (!overwrite)
        {
            r0 = Vector128.MultiplyAddEstimate(Vector128.Load(c), beta, r0);
            r1 = Vector128.MultiplyAddEstimate(Vector128.Load(c + 4), beta, r1);
        }
        r0.Store(c);
        r1.Store(c + 4);
    }
}
