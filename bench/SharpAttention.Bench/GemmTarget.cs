namespace SharpAttention.Bench;

/// <summary>
/// The one place that decides which GEMM the `gemm` group measures: <see cref="Create"/> builds C = op(A)·op(B)
/// for an (M, K) × (K, N) product on preallocated row-major operands — A stored (K, M) when transposed, B stored
/// (N, K) — and returns an action that runs it once.
/// It calls the library's GEMM kernel, the one every matmul and linear forward and backward goes through.
/// </summary>
internal static class GemmTarget
{
    public static Action Create(int m, int k, int n, bool transA, bool transB)
    {
        var rng = new Random(1234);
        float[] a = RandomMatrix(rng, m * k); // (M, K), or (K, M) when transA
        float[] b = RandomMatrix(rng, k * n); // (K, N), or (N, K) when transB
        float[] c = new float[m * n];         // (M, N)
        int lda = transA ? m : k, ldb = transB ? k : n;
        Action run = () => Kernels.Gemm.Gemm.Run(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);

        // A wrong kernel must not post a fast figure: the first call is checked, later (timed) calls are not.
        bool checkedOnce = false;
        return () =>
        {
            run();
            if (checkedOnce) return;
            Check(a, b, c, m, k, n, transA, transB, rng);
            checkedOnce = true;
        };
    }

    static float[] RandomMatrix(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle() * 2 - 1;
        return x;
    }

    /// <summary>
    /// Compares sampled entries of C with a double-precision dot product. The tolerance is the worst-case fp32
    /// error of any summation order, k·2⁻²⁴·Σ|a·b|, doubled: it never fails a correct kernel, whatever its
    /// blocking, yet a dropped or repeated block of k is orders of magnitude larger.
    /// </summary>
    static void Check(float[] a, float[] b, float[] c, int m, int k, int n, bool transA, bool transB, Random rng)
    {
        for (int s = 0; s < 32; s++)
        {
            int i = rng.Next(m), j = rng.Next(n);
            double want = 0, magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                double term = (double)a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
                want += term;
                magnitude += Math.Abs(term);
            }
            double tolerance = 2 * k * Math.Pow(2, -24) * magnitude;
            if (!(Math.Abs(c[i * n + j] - want) <= tolerance))
                throw new InvalidOperationException(
                    $"gemm target: ({m},{k}) @ ({k},{n}) transA={transA} transB={transB}: C[{i},{j}] is {c[i * n + j]}, expected {want} ± {tolerance:G3}");
        }
    }
}
