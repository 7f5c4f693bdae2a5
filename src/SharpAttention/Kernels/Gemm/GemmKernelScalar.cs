using System.Runtime.CompilerServices;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// Scalar micro-kernel, 4 rows × 4 columns: 16 independent accumulators in general-purpose float registers, the
/// fallback for hardware without vector acceleration. MultiplyAddEstimate fuses where the CPU has FMA.
/// </summary>
internal readonly unsafe struct GemmKernelScalar : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, bool overwrite)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            // (1, 4) of B against (4, 1) of A.
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float x = a[0];
            c00 = float.MultiplyAddEstimate(x, b0, c00); c01 = float.MultiplyAddEstimate(x, b1, c01);
            c02 = float.MultiplyAddEstimate(x, b2, c02); c03 = float.MultiplyAddEstimate(x, b3, c03);
            x = a[1];
            c10 = float.MultiplyAddEstimate(x, b0, c10); c11 = float.MultiplyAddEstimate(x, b1, c11);
            c12 = float.MultiplyAddEstimate(x, b2, c12); c13 = float.MultiplyAddEstimate(x, b3, c13);
            x = a[2];
            c20 = float.MultiplyAddEstimate(x, b0, c20); c21 = float.MultiplyAddEstimate(x, b1, c21);
            c22 = float.MultiplyAddEstimate(x, b2, c22); c23 = float.MultiplyAddEstimate(x, b3, c23);
            x = a[3];
            c30 = float.MultiplyAddEstimate(x, b0, c30); c31 = float.MultiplyAddEstimate(x, b1, c31);
            c32 = float.MultiplyAddEstimate(x, b2, c32); c33 = float.MultiplyAddEstimate(x, b3, c33);
            a += 4;
            b += 4;
        }
        Store(c, alpha, beta, overwrite, c00, c01, c02, c03); c += ldc;
        Store(c, alpha, beta, overwrite, c10, c11, c12, c13); c += ldc;
        Store(c, alpha, beta, overwrite, c20, c21, c22, c23); c += ldc;
        Store(c, alpha, beta, overwrite, c30, c31, c32, c33);
    }

    /// <summary>One row of the tile: C = alpha·acc (+ beta·C when C is read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(float* c, float alpha, float beta, bool overwrite, float r0, float r1, float r2, float r3)
    {
        r0 *= alpha; r1 *= alpha; r2 *= alpha; r3 *= alpha;
        if (!overwrite)
        {
            r0 = float.MultiplyAddEstimate(c[0], beta, r0);
            r1 = float.MultiplyAddEstimate(c[1], beta, r1);
            r2 = float.MultiplyAddEstimate(c[2], beta, r2);
            r3 = float.MultiplyAddEstimate(c[3], beta, r3);
        }
        c[0] = r0; c[1] = r1; c[2] = r2; c[3] = r3;
    }
}
