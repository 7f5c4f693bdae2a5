using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive twin of <see cref="Gemm.Gemm"/>: the textbook triple loop with double accumulation, the
/// oracle its tests compare against. Same arguments and meaning (row-major, beta = 0 ignores C).</summary>
internal static class ReferenceGemm
{
    public static void Run<T>(bool transA, bool transB, int m, int n, int k, T alpha, ReadOnlySpan<T> a, int lda,
                              ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    T x = transA ? a[p * lda + i] : a[i * lda + p];
                    T y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += double.CreateTruncating(x) * double.CreateTruncating(y);
                }
                double r = al * sum;
                if (be != 0) r += be * double.CreateTruncating(c[i * ldc + j]);
                c[i * ldc + j] = T.CreateTruncating(r);
            }
    }
}
