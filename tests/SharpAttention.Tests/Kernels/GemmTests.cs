using System.Numerics;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Kernels.Reference;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary>The GEMM against the naive double-accumulating reference: the packed fp32 path on every ISA path this
/// machine runs (narrower ones forced), and the generic float64 path — every transpose combination, lengths
/// 0..257, every block edge (MR, NR, KC, MC, NC), alpha/beta, padded leading dimensions, batching, NaN/Inf,
/// bit-identical results for any split over threads, and no allocation per call.</summary>
public class GemmTests
{
    internal static readonly (bool A, bool B)[] Combos = [(false, false), (false, true), (true, false), (true, true)];

    /// <summary>Every fp32 path this CPU can run, widest first (by name: theory arguments must be public types).</summary>
    public static readonly TheoryData<string> Isas =
        new(Enum.GetValues<GemmIsa>().Where(GemmIsaSelect.CanRun).Reverse().Select(i => i.ToString()));

    /// <summary>Runs <paramref name="body"/> with fp32 calls from this thread forced onto path <paramref name="isa"/>.</summary>
    internal static void On(string isa, Action body)
    {
        GemmIsaSelect.Force(Enum.Parse<GemmIsa>(isa));
        try { body(); }
        finally { GemmIsaSelect.Force(null); }
    }

    /// <summary>Runs both kernels on random operands (C padded with a sentinel past column n) and checks each element
    /// against the reference within a bound scaled by Σ|alpha·a·b| + |beta·c|; the padding must be untouched.
    /// With beta = 0, C starts as NaN: the kernel must not read it.</summary>
    internal static void Compare<T>(bool ta, bool tb, int m, int n, int k, double alpha = 1, double beta = 0, int pad = 0,
                           int seed = 1, int parts = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        int lda = Math.Max(1, (ta ? m : k) + pad), ldb = Math.Max(1, (tb ? k : n) + pad), ldc = Math.Max(1, n + pad);
        var a = Random<T>(rng, (ta ? k : m) * lda);
        var b = Random<T>(rng, (tb ? n : k) * ldb);
        var c = Random<T>(rng, m * ldc);
        if (beta == 0) Array.Fill(c, T.NaN);
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) c[i * ldc + j] = T.CreateTruncating(12345.0);
        var fast = (T[])c.Clone();
        var reference = (T[])c.Clone();
        T al = T.CreateTruncating(alpha), be = T.CreateTruncating(beta);
        Gemm.RunBatched(ta, tb, 1, m, n, k, al, a, lda, 0, b, ldb, 0, be, fast, ldc, 0, parts);
        ReferenceGemm.Run(ta, tb, m, n, k, al, a, lda, b, ldb, be, reference, ldc);

        var bound = Abs(c);
        if (beta == 0) Array.Fill(bound, T.Zero);
        ReferenceGemm.Run(ta, tb, m, n, k, T.Abs(al), Abs(a), lda, Abs(b), ldb, T.Abs(be), bound, ldc);
        double unit = typeof(T) == typeof(float) ? 1.2e-7 : 4.5e-16;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                double f = double.CreateTruncating(fast[i * ldc + j]), r = double.CreateTruncating(reference[i * ldc + j]);
                if (j >= n)
                {
                    if (f != 12345.0) Assert.Fail($"ta={ta} tb={tb} m={m} n={n} k={k}: padding C[{i},{j}] overwritten with {f}");
                    continue;
                }
                double tol = (k + 4) * unit * Math.Abs(double.CreateTruncating(bound[i * ldc + j])) + 1e-300;
                if (!(Math.Abs(f - r) <= tol))
                    Assert.Fail($"{typeof(T).Name} {GemmIsaSelect.Current} ta={ta} tb={tb} m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad}: " +
                                $"C[{i},{j}] = {f:R}, reference {r:R}, tolerance {tol:G3}");
            }
    }

    internal static T[] Random<T>(Random rng, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[length];
        for (int i = 0; i < length; i++) x[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return x;
    }

    static T[] Abs<T>(T[] x) where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(x, T.Abs);

    [Theory]
    [MemberData(nameof(Isas))]
    public void OddAndEmptyShapesAllTransposes(string isa) => On(isa, () =>
    {
        int[][] shapes = [[1, 1, 1], [1, 37, 1], [37, 1, 1], [1, 1, 37], [1, 37, 37], [37, 1, 37], [37, 37, 1],
                          [7, 13, 29], [29, 7, 13], [13, 29, 7], [31, 37, 41], [97, 89, 101],
                          [0, 5, 3], [5, 0, 3], [5, 3, 0], [0, 0, 0], [3, 9, 1], [1, 300, 1], [300, 1, 1]];
        foreach (var (ta, tb) in Combos)
            foreach (var s in shapes)
                foreach (int pad in new[] { 0, 3 })
                    Compare<float>(ta, tb, s[0], s[1], s[2], pad: pad);
    });

    [Fact]
    public void Float64OddAndEmptyShapesAllTransposes()
    {
        int[][] shapes = [[1, 1, 1], [1, 37, 1], [37, 1, 1], [1, 1, 37], [7, 13, 29], [29, 7, 13], [13, 29, 7],
                          [0, 5, 3], [5, 0, 3], [5, 3, 0], [3, 9, 1], [70, 300, 513]];
        foreach (var (ta, tb) in Combos)
            foreach (var s in shapes)
                foreach (int pad in new[] { 0, 3 })
                    Compare<double>(ta, tb, s[0], s[1], s[2], pad: pad);
    }

    /// <summary>Each of m, n, k on its own through 0..257 (the others odd and small): every edge-tile width of
    /// every kernel, and k blocks shorter than, equal to and longer than the SIMD transpose's 16 steps.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void EachDimensionFrom0To257(string isa) => On(isa, () =>
    {
        foreach (var (ta, tb) in Combos)
            for (int s = 0; s <= 257; s++)
            {
                Compare<float>(ta, tb, s, 7, 5, seed: s);
                Compare<float>(ta, tb, 5, s, 7, seed: s);
                Compare<float>(ta, tb, 7, 5, s, seed: s);
            }
    });

    [Fact]
    public void Float64SweepsEachDimensionFrom1To65()
    {
        foreach (var (ta, tb) in Combos)
            for (int s = 1; s <= 65; s++)
            {
                Compare<double>(ta, tb, s, 17, 19, seed: s);
                Compare<double>(ta, tb, 17, s, 19, seed: s);
                Compare<double>(ta, tb, 17, 19, s, seed: s);
            }
    }

    /// <summary>Sizes on either side of the block sizes: rows around MR multiples and MC (240), columns around NR
    /// multiples and NC (2048 at k ≥ KC; 3488 at k = 300, where B blocks widen), depths around KC (512) and two KC
    /// blocks, plus squares crossing several at once.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void SizesAroundEveryBlockBoundary(string isa) => On(isa, () =>
    {
        int[][] shapes =
        [
            [11, 33, 9], [12, 32, 9], [13, 31, 9], [23, 65, 3], [24, 64, 3], [25, 63, 3],
            [239, 17, 9], [240, 17, 9], [241, 17, 9], [480, 5, 4], [481, 33, 4],
            [5, 2047, 520], [3, 2048, 513], [7, 2049, 530], [4, 3500, 300], [2, 4097, 2],
            [13, 33, 511], [13, 33, 512], [13, 33, 513], [5, 17, 1025],
            [257, 257, 257], [131, 257, 129], [250, 70, 530],
        ];
        foreach (var (ta, tb) in Combos)
            foreach (var s in shapes)
                Compare<float>(ta, tb, s[0], s[1], s[2], pad: 1);
    });

    [Theory]
    [MemberData(nameof(Isas))]
    public void AlphaAndBeta(string isa) => On(isa, () =>
    {
        foreach (var (ta, tb) in Combos)
            foreach (double alpha in new[] { 1, -0.5, 2, 0 })
                foreach (double beta in new[] { 0, 1, 0.25, -1 })
                {
                    Compare<float>(ta, tb, 9, 21, 300, alpha, beta, pad: 2);
                    Compare<float>(ta, tb, 25, 40, 520, alpha, beta);   // beta on the first k block only
                    Compare<double>(ta, tb, 6, 5, 4, alpha, beta);
                    Compare<float>(ta, tb, 4, 6, 0, alpha, beta);       // empty sum: C = beta·C
                }
    });

    /// <summary>Results must not depend on how the work is split: bitwise equal for 1, 2, 3 and 5 shares, for
    /// shapes split by rows, by columns (few rows) and over whole products of a batch.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void ResultsDoNotDependOnTheSplit(string isa) => On(isa, () =>
    {
        int[][] shapes = [[133, 70, 300], [5, 300, 41], [1, 1000, 17], [250, 33, 530], [60, 2100, 20]];
        foreach (var s in shapes)
            foreach (var (ta, tb) in Combos)
                foreach (int batch in new[] { 1, 4 })
                {
                    int m = s[0], n = s[1], k = s[2];
                    var rng = new Random(m + n + k);
                    var a = Random<float>(rng, batch * m * k);
                    var b = Random<float>(rng, batch * k * n);
                    float[]? first = null;
                    foreach (int parts in new[] { 1, 2, 3, 5 })
                    {
                        var c = new float[batch * m * n];
                        Gemm.RunBatched(ta, tb, batch, m, n, k, 1f, a, ta ? m : k, m * k, b, tb ? k : n, k * n, 0f, c, n, m * n, parts);
                        if (first == null) first = c;
                        else Assert.True(first.AsSpan().SequenceEqual(c), $"{isa} {m}x{n}x{k} ta={ta} tb={tb} batch={batch}: {parts} shares differ from 1");
                    }
                }
    });

    [Fact]
    public void Float64ResultsDoNotDependOnTheSplit()
    {
        var rng = new Random(5);
        int m = 133, n = 70, k = 300;
        var a = Random<double>(rng, m * k);
        var b = Random<double>(rng, k * n);
        foreach (var (ta, tb) in Combos)
        {
            double[]? first = null;
            foreach (int parts in new[] { 1, 2, 3, 5 })
            {
                var c = new double[m * n];
                Gemm.RunBatched(ta, tb, 1, m, n, k, 1.0, a, ta ? m : k, 0, b, tb ? k : n, 0, 0.0, c, n, 0, parts);
                if (first == null) first = c;
                else Assert.Equal(first, c);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void BatchedWithSharedOperandMatchesReference(string isa) => On(isa, () =>
    {
        var rng = new Random(3);
        int m = 7, n = 9, k = 11;
        foreach (int batch in new[] { 3, 5, 8 })
            foreach (var (ta, tb) in Combos)
                foreach (int parts in new[] { 1, 2 })
                {
                    var a = Random<float>(rng, m * k);           // one A for every product (stride 0)
                    var b = Random<float>(rng, batch * k * n);
                    var c = new float[batch * m * n];
                    Gemm.RunBatched(ta, tb, batch, m, n, k, 1f, a, ta ? m : k, 0, b, tb ? k : n, k * n, 0f, c, n, m * n, parts);
                    var d = new double[batch * m * n];
                    Gemm.RunBatched(ta, tb, batch, m, n, k, 1.0, Array.ConvertAll(a, x => (double)x), ta ? m : k, 0,
                                    Array.ConvertAll(b, x => (double)x), tb ? k : n, k * n, 0.0, d, n, m * n, parts);
                    for (int i = 0; i < batch; i++)
                    {
                        var expected = new float[m * n];
                        ReferenceGemm.Run(ta, tb, m, n, k, 1f, a, ta ? m : k, b.AsSpan(i * k * n), tb ? k : n, 0f, expected, n);
                        for (int j = 0; j < m * n; j++)
                        {
                            Assert.Equal(expected[j], c[i * m * n + j], 1e-5f);
                            Assert.Equal(expected[j], d[i * m * n + j], 1e-5);
                        }
                    }
                }
    });

    /// <summary>NaN in A poisons its row of C, +Inf in B its column; 0·Inf is NaN; NaN in C spreads only when
    /// beta ≠ 0. Checked in full tiles and in edge tiles (m, n not multiples of any MR, NR).</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void NaNAndInfPropagate(string isa) => On(isa, () =>
    {
        foreach (var (m, n, k) in new[] { (6, 19, 5), (24, 64, 7), (37, 70, 530) })
            foreach (var (ta, tb) in Combos)
                foreach (bool reference in new[] { false, true })
                {
                    int ri = m / 2 + 1, cj = n - 3;
                    var a = Enumerable.Repeat(1f, m * k).ToArray();
                    var b = Enumerable.Repeat(1f, k * n).ToArray();
                    a[ta ? 3 * m + ri : ri * k + 3] = float.NaN;
                    b[tb ? cj * k + 1 : 1 * n + cj] = float.PositiveInfinity;
                    var c = new float[m * n];
                    Run(reference, ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            float v = c[i * n + j];
                            if (i == ri) Assert.True(float.IsNaN(v), $"C[{i},{j}]={v}");
                            else if (j == cj) Assert.Equal(float.PositiveInfinity, v);
                            else Assert.Equal(k, v);
                        }

                    Array.Fill(a, 0f);
                    var c2 = new float[m * n];
                    c2[1] = float.NaN;
                    Run(reference, ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, c2, n);
                    Assert.True(float.IsNaN(c2[1]));
                    Assert.True(float.IsNaN(c2[cj]));
                    Assert.Equal(0f, c2[2]);
                }
    });

    static void Run(bool reference, bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                    float beta, float[] c, int ldc)
    {
        if (reference) ReferenceGemm.Run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else Gemm.Run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>After a warm-up call per shape, further calls allocate nothing on the calling thread: packing
    /// buffers are per-thread and reused, the parallel loop takes struct bodies.</summary>
    [Theory]
    [MemberData(nameof(Isas))]
    public void NoAllocationPerCallAfterWarmUp(string isa) => On(isa, () =>
    {
        int[][] shapes = [[300, 200, 600], [5, 700, 33], [64, 64, 64]];
        var a = Random<float>(new Random(1), 300 * 700);
        var b = Random<float>(new Random(2), 700 * 600);
        var c = new float[300 * 700 * 2];
        var d = new double[64 * 64 * 3];
        int[] splits = [1, 2];
        void All()
        {
            foreach (var s in shapes)
                foreach (var (ta, tb) in Combos)
                    foreach (int parts in splits)
                        Gemm.RunBatched(ta, tb, 2, s[0], s[1], s[2], 1f, a, ta ? s[0] : s[2], 0, b, tb ? s[2] : s[1], 0,
                                        0.5f, c, s[1], s[0] * s[1], parts);
            Gemm.RunBatched(false, true, 2, 64, 64, 64, 1.0, d, 64, 0, d, 64, 0, 0.0, d.AsSpan(64 * 64), 64, 64 * 64, 2);
        }
        All();
        // A thread blocked in the parallel loop may run another test's queued work item and be charged for its
        // allocations; a real per-call allocation shows in every round, so the quietest of five rounds must be 0.
        long quietest = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            All();
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, quietest);
    });

    [Fact]
    public void ForcingAPathTheCpuLacksIsRefused()
    {
        foreach (var isa in Enum.GetValues<GemmIsa>().Where(i => !GemmIsaSelect.CanRun(i)))
            Assert.Throws<PlatformNotSupportedException>(() => GemmIsaSelect.Force(isa));
        Assert.True(GemmIsaSelect.CanRun(GemmIsa.Scalar));
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

/// <summary>GEMM results under different <see cref="Threads.Count"/> settings: process-wide, so in the serial collection.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class GemmThreadCountTests
{
    /// <summary>The public entry point under Threads.Count = 1, 2 and 3 (3 oversubscribes two cores): the same
    /// bits for plain, transposed and batched products.</summary>
    [Fact]
    public void ResultsDoNotDependOnThreadsCount()
    {
        int m = 301, n = 257, k = 530, batch = 3;
        var rng = new Random(11);
        var a = GemmTests.Random<float>(rng, batch * m * k);
        var b = GemmTests.Random<float>(rng, batch * k * n);
        var results = new List<float[]>();
        int saved = Threads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Threads.Count = threads;
                foreach (var (ta, tb) in GemmTests.Combos)
                {
                    var c = new float[batch * m * n];
                    Gemm.Run(ta, tb, m, n, k, 0.5f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
                    Gemm.RunBatched(ta, tb, batch, m, n, k, 1f, a, ta ? m : k, m * k, b, tb ? k : n, k * n, 1f, c, n, m * n);
                    results.Add(c);
                }
            }
        }
        finally { Threads.Count = saved; }
        for (int i = GemmTests.Combos.Length; i < results.Count; i++)
            Assert.True(results[i % GemmTests.Combos.Length].AsSpan().SequenceEqual(results[i]), $"Threads.Count {1 + i / GemmTests.Combos.Length}, combo {i % GemmTests.Combos.Length}");
    }
}
