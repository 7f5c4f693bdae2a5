using System.Numerics;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Kernels.Reference;

namespace SharpAttention.Tests.Kernels;

/// <summary>The blocked, vectorised GEMM against the naive double-accumulating reference: every transpose combination,
/// odd and empty shapes, alpha/beta, padded leading dimensions, batching, NaN/Inf, and thread-count independence.</summary>
public class GemmTests
{
    static readonly (bool A, bool B)[] Combos = [(false, false), (false, true), (true, false), (true, true)];

    /// <summary>Runs both kernels on random operands (C padded with a sentinel past column n) and checks each element
    /// against the reference within a bound scaled by Σ|alpha·a·b| + |beta·c|; the padding must be untouched.</summary>
    static void Compare<T>(bool ta, bool tb, int m, int n, int k, double alpha = 1, double beta = 0, int pad = 0,
                           int seed = 1, int threads = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int lda = Math.Max(1, (ta ? m : k) + pad), ldb = Math.Max(1, (tb ? k : n) + pad), ldc = Math.Max(1, n + pad);
        var a = Random<T>(rng, (ta ? k : m) * lda);
        var b = Random<T>(rng, (tb ? n : k) * ldb);
        var c = Random<T>(rng, m * ldc);
        if (beta == 0) Array.Fill(c, T.NaN); // beta = 0 must not read C
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) c[i * ldc + j] = T.CreateTruncating(12345.0);
        var fast = (T[])c.Clone();
        var reference = (T[])c.Clone();
        T al = T.CreateTruncating(alpha), be = T.CreateTruncating(beta);
        Gemm.RunBatched(ta, tb, 1, m, n, k, al, a, lda, 0, b, ldb, 0, be, fast, ldc, 0, threads);
        ReferenceGemm.Run(ta, tb, m, n, k, al, a, lda, b, ldb, be, reference, ldc);

        var bound = Abs(c);
        ReferenceGemm.Run(ta, tb, m, n, k, T.Abs(al), Abs(a), lda, Abs(b), ldb, T.Abs(be), bound, ldc);
        double unit = typeof(T) == typeof(float) ? 1.2e-7 : 4.5e-16;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                double f = double.CreateTruncating(fast[i * ldc + j]), r = double.CreateTruncating(reference[i * ldc + j]);
                if (j >= n)
                {
                    Assert.Equal(12345.0, f);
                    continue;
                }
                double tol = (k + 4) * unit * Math.Abs(double.CreateTruncating(bound[i * ldc + j])) + 1e-300;
                if (!(Math.Abs(f - r) <= tol))
                    Assert.Fail($"{typeof(T).Name} ta={ta} tb={tb} m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad}: " +
                                $"C[{i},{j}] = {f:R}, reference {r:R}, tolerance {tol:G3}");
            }
    }

    static T[] Random<T>(Random rng, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[length];
        for (int i = 0; i < length; i++) x[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return x;
    }

    static T[] Abs<T>(T[] x) where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(x, T.Abs);

    [Fact]
    public void OddAndEmptyShapesAllTransposes()
    {
        int[][] shapes = [[1, 1, 1], [1, 37, 1], [37, 1, 1], [1, 1, 37], [1, 37, 37], [7, 13, 29], [29, 7, 13], [13, 29, 7],
                          [0, 5, 3], [5, 0, 3], [5, 3, 0], [0, 0, 0], [3, 9, 1]];
        foreach (var (ta, tb) in Combos)
            foreach (var s in shapes)
                foreach (int pad in new[] { 0, 3 })
                {
                    Compare<float>(ta, tb, s[0], s[1], s[2], pad: pad);
                    Compare<double>(ta, tb, s[0], s[1], s[2], pad: pad);
                }
    }

    [Fact]
    public void SweepEachDimensionFrom1To65()
    {
        foreach (var (ta, tb) in Combos)
            for (int s = 1; s <= 65; s++)
            {
                Compare<float>(ta, tb, s, 17, 19, seed: s);
                Compare<float>(ta, tb, 17, s, 19, seed: s);
                Compare<float>(ta, tb, 17, 19, s, seed: s);
                Compare<double>(ta, tb, s, s, s, seed: s);
            }
    }

    [Fact]
    public void LargeSizesCrossEveryBlockBoundary()
    {
        int[][] shapes = [[257, 3, 5], [3, 257, 5], [5, 3, 257], [131, 257, 129], [70, 300, 513], [257, 257, 257]];
        foreach (var (ta, tb) in Combos)
            foreach (var s in shapes)
            {
                Compare<float>(ta, tb, s[0], s[1], s[2], pad: 1);
                Compare<double>(ta, tb, s[0], s[1], s[2]);
            }
    }

    [Fact]
    public void AlphaAndBeta()
    {
        foreach (var (ta, tb) in Combos)
            foreach (double alpha in new[] { 1, -0.5, 2, 0 })
                foreach (double beta in new[] { 0, 1, 0.25, -1 })
                {
                    Compare<float>(ta, tb, 9, 21, 300, alpha, beta, pad: 2);
                    Compare<double>(ta, tb, 6, 5, 4, alpha, beta);
                    Compare<float>(ta, tb, 4, 6, 0, alpha, beta); // empty sum: C = beta·C
                }
    }

    [Fact]
    public void ResultsDoNotDependOnThreadCount()
    {
        var rng = new Random(5);
        int m = 133, n = 70, k = 300;
        var a = Random<float>(rng, m * k);
        var b = Random<float>(rng, k * n);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 5 })
            foreach (var (ta, tb) in Combos)
            {
                var c = new float[m * n];
                Gemm.RunBatched(ta, tb, 1, m, n, k, 1f, a, ta ? m : k, 0, b, tb ? k : n, 0, 0f, c, n, 0, threads);
                if (ta || tb) continue;
                if (first == null) first = c;
                else Assert.Equal(first, c); // bitwise: float equality, no tolerance
            }
        Assert.NotNull(first);
    }

    [Fact]
    public void BatchedWithSharedOperandMatchesReference()
    {
        var rng = new Random(3);
        int batch = 5, m = 7, n = 9, k = 11;
        foreach (var (ta, tb) in Combos)
            foreach (int threads in new[] { 1, 2 })
            {
                var a = Random<double>(rng, m * k);           // one A for every product (stride 0)
                var b = Random<double>(rng, batch * k * n);
                var c = new double[batch * m * n];
                Gemm.RunBatched(ta, tb, batch, m, n, k, 1.0, a, ta ? m : k, 0, b, tb ? k : n, k * n, 0.0, c, n, m * n, threads);
                for (int i = 0; i < batch; i++)
                {
                    var expected = new double[m * n];
                    ReferenceGemm.Run(ta, tb, m, n, k, 1.0, a, ta ? m : k, b.AsSpan(i * k * n), tb ? k : n, 0.0, expected, n);
                    for (int j = 0; j < m * n; j++) Assert.Equal(expected[j], c[i * m * n + j], 1e-12);
                }
            }
    }

    [Fact]
    public void NaNAndInfPropagate()
    {
        foreach (var (ta, tb) in Combos)
            foreach (bool reference in new[] { false, true })
            {
                int m = 6, n = 19, k = 5;
                // A: ones with a NaN at logical (2, 3); B: ones with +Inf at logical (1, 7) -> row 2 and column 7 are non-finite.
                var a = Enumerable.Repeat(1f, m * k).ToArray();
                var b = Enumerable.Repeat(1f, k * n).ToArray();
                a[ta ? 3 * m + 2 : 2 * k + 3] = float.NaN;
                b[tb ? 7 * k + 1 : 1 * n + 7] = float.PositiveInfinity;
                var c = new float[m * n];
                Run(reference, ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float v = c[i * n + j];
                        if (i == 2) Assert.True(float.IsNaN(v), $"C[{i},{j}]={v}");
                        else if (j == 7) Assert.Equal(float.PositiveInfinity, v);
                        else Assert.Equal(k, v);
                    }

                // 0·Inf is NaN, and NaN in C propagates when beta != 0.
                Array.Fill(a, 0f);
                var c2 = new float[m * n];
                c2[1] = float.NaN;
                Run(reference, ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, c2, n);
                Assert.True(float.IsNaN(c2[1]));
                Assert.True(float.IsNaN(c2[7]));
                Assert.Equal(0f, c2[2]);
            }
    }

    static void Run(bool reference, bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                    float beta, float[] c, int ldc)
    {
        if (reference) ReferenceGemm.Run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else Gemm.Run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 3, 4, 1f, new float[7], 4, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("gemm: A needs 8 elements", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Run(false, true, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, 0f, new float[6], 3));
        Assert.Contains("leading dimension of B is 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.RunBatched(false, false, 2, 2, 3, 4, 1f, new float[8], 4, 0, new float[12], 3, 0, 0f, new float[12], 3, 3));
        Assert.Contains("overlap", e.Message);
    }
}
