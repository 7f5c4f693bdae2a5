using System.Numerics.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// One `attention` benchmark shape: q, k, v and an output gradient dO, each (B, H, N, D) row-major with B = 1,
/// H = 8, D = 64 (BENCHMARKS.md), drawn from N(0, 1) with a fixed seed so every implementation sees the same
/// numbers. It also holds the double-precision reference that checks, once per shape, whatever is timed: a
/// wrong kernel must not post a fast figure.
/// </summary>
internal sealed class AttentionProblem
{
    public const int B = 1, H = 8, D = 64;

    /// <summary>Allowed error as a fraction of Σ|term| of the sum an entry is (the fp32 rounding a correct kernel
    /// makes over N terms stays well below it; a dropped or doubled block of 64 keys or queries at N = 8192 moves an
    /// entry by ~1e-3 of that sum, 30× (forward) and 5× (gradients) the allowance). The gradient allowance matches
    /// the project's 1e-4 conformance tolerance for gradients, doubled for the longer sums.</summary>
    const double ForwardTolerance = 3e-5, GradientTolerance = 2e-4;

    /// <summary>Floor of the allowed error, for entries whose terms are all tiny.</summary>
    const double AbsoluteFloor = 1e-7;

    public readonly int N;
    public readonly bool Causal;
    public readonly float[] Q, K, V, DO; // (B, H, N, D)

    /// <summary>The same tensors in double, and their absolute values, for the reference.</summary>
    readonly double[] q, k, v, dO, absQ, absK, absV, absDO;

    readonly double scale = 1 / Math.Sqrt(D);
    readonly Random rng;

    public AttentionProblem(int n, bool causal, bool withGradient = true)
    {
        N = n;
        Causal = causal;
        rng = new Random(4321 + n);
        Q = Normal(rng, B * H * n * D);
        K = Normal(rng, B * H * n * D);
        V = Normal(rng, B * H * n * D);
        DO = withGradient ? Normal(rng, B * H * n * D) : [];
        (q, absQ) = Widen(Q);
        (k, absK) = Widen(K);
        (v, absV) = Widen(V);
        (dO, absDO) = Widen(DO);
    }

    public int Elements => B * H * N * D;

    /// <summary>Multiply-adds of the forward: 2·N²·D for Q·Kᵀ and as many for P·V per head, halved when causal
    /// (BENCHMARKS.md counts the causal figure at half the work, the work a kernel that skips masked blocks does).</summary>
    public double ForwardFlops => 4.0 * B * H * N * (double)N * D / (Causal ? 2 : 1);

    /// <summary>Forward plus backward, by BENCHMARKS.md's convention: 3.5 × the forward count.</summary>
    public double ForwardBackwardFlops => 3.5 * ForwardFlops;

    /// <summary>The name's shape part: `n2048` or `n2048_causal`.</summary>
    public string Suffix => $"n{N}" + (Causal ? "_causal" : "");

    /// <summary>
    /// Checks an output O (read through <paramref name="output"/>(head, row, d), so any layout will do) on sampled
    /// rows of every head: the first and last rows and one random row in each run of 64, so every query block of
    /// any kernel is visited.
    /// </summary>
    public void CheckForward(string what, Func<int, int, int, float> output)
    {
        foreach (int h in Enumerable.Range(0, H))
            ForEach(SampleIndices(), i =>
            {
                var row = ReferenceRow(h, i, withGradient: false);
                for (int d = 0; d < D; d++)
                    Expect(what, "output", h, i, d, output(h, i, d), row.O[d], row.OBound[d], ForwardTolerance);
            });
    }

    /// <summary>
    /// Checks O and the gradients dQ, dK, dV (all (B, H, N, D) row-major) for dO. Fully checked heads (every head at
    /// N = 512, one random head above, as the reference costs ~6·N²·D per head): O and dQ on every row, dK and dV on
    /// sampled rows. Every other head: O and dQ on sampled rows.
    /// </summary>
    public void CheckForwardBackward(string what, float[] o, float[] dq, float[] dk, float[] dv)
    {
        int fullHead = rng.Next(H);
        for (int h = 0; h < H; h++)
        {
            bool full = N <= 512 || h == fullHead;
            int[] rows = full ? [.. Enumerable.Range(0, N)] : SampleIndices();
            var lse = new double[N];
            var delta = new double[N];
            ForEach(rows, i =>
            {
                var row = ReferenceRow(h, i, withGradient: true);
                lse[i] = row.Lse;
                delta[i] = row.Delta;
                int at = Index(h, i, 0);
                for (int d = 0; d < D; d++)
                {
                    Expect(what, "output", h, i, d, o[at + d], row.O[d], row.OBound[d], ForwardTolerance);
                    Expect(what, "dQ", h, i, d, dq[at + d], row.DQ[d], row.DQBound[d], GradientTolerance);
                }
            });
            if (!full) continue;
            ForEach(SampleIndices(), j =>
            {
                var column = ReferenceColumn(h, j, lse, delta);
                int at = Index(h, j, 0);
                for (int d = 0; d < D; d++)
                {
                    Expect(what, "dK", h, j, d, dk[at + d], column.DK[d], column.DKBound[d], GradientTolerance);
                    Expect(what, "dV", h, j, d, dv[at + d], column.DV[d], column.DVBound[d], GradientTolerance);
                }
            });
        }
    }

    /// <summary>Reference quantities of one query row; the bounds are Σ|term| of each entry's sum.</summary>
    sealed record Row(double Lse, double Delta, double[] O, double[] OBound, double[] DQ, double[] DQBound);

    sealed record Column(double[] DK, double[] DKBound, double[] DV, double[] DVBound);

    /// <summary>
    /// Query row i of head h: scores s_j = scale·q_i·k_j over the keys it may attend (j ≤ i when causal),
    /// P = softmax(s), O = P·V, lse = log Σ exp s_j; with the gradient also Δ = dO_i·O and
    /// dQ = scale·Σ_j P_j (dO_i·v_j − Δ) k_j (the softmax backward written out).
    /// </summary>
    Row ReferenceRow(int h, int i, bool withGradient)
    {
        int keys = Causal ? i + 1 : N;
        var qi = q.AsSpan(Index(h, i, 0), D);
        var s = new double[keys];
        double max = double.NegativeInfinity;
        for (int j = 0; j < keys; j++)
            max = Math.Max(max, s[j] = scale * TensorPrimitives.Dot(qi, k.AsSpan(Index(h, j, 0), D)));
        double sum = 0;
        for (int j = 0; j < keys; j++) sum += s[j] = Math.Exp(s[j] - max);
        var o = new double[D];
        var oBound = new double[D];
        for (int j = 0; j < keys; j++)
        {
            double p = s[j] /= sum; // s now holds P
            TensorPrimitives.MultiplyAdd(v.AsSpan(Index(h, j, 0), D), p, o, o);
            TensorPrimitives.MultiplyAdd(absV.AsSpan(Index(h, j, 0), D), p, oBound, oBound);
        }
        double lse = max + Math.Log(sum);
        if (!withGradient) return new Row(lse, 0, o, oBound, [], []);

        var dOi = dO.AsSpan(Index(h, i, 0), D);
        double delta = TensorPrimitives.Dot(dOi, o);
        var dq = new double[D];
        var dqBound = new double[D];
        for (int j = 0; j < keys; j++)
        {
            double dp = TensorPrimitives.Dot(dOi, v.AsSpan(Index(h, j, 0), D));
            TensorPrimitives.MultiplyAdd(k.AsSpan(Index(h, j, 0), D), scale * s[j] * (dp - delta), dq, dq);
            TensorPrimitives.MultiplyAdd(absK.AsSpan(Index(h, j, 0), D), scale * s[j] * (Math.Abs(dp) + Math.Abs(delta)), dqBound, dqBound);
        }
        return new Row(lse, delta, o, oBound, dq, dqBound);
    }

    /// <summary>
    /// Key row j of head h: dV_j = Σ_i P_ij dO_i and dK_j = scale·Σ_i P_ij (dO_i·v_j − Δ_i) q_i over the queries that
    /// may attend it (i ≥ j when causal), P_ij recomputed from each row's lse and Δ_i from <see cref="ReferenceRow"/>.
    /// </summary>
    Column ReferenceColumn(int h, int j, double[] lse, double[] delta)
    {
        var kj = k.AsSpan(Index(h, j, 0), D);
        var vj = v.AsSpan(Index(h, j, 0), D);
        double[] dk = new double[D], dkBound = new double[D], dv = new double[D], dvBound = new double[D];
        for (int i = Causal ? j : 0; i < N; i++)
        {
            var qi = q.AsSpan(Index(h, i, 0), D);
            var dOi = dO.AsSpan(Index(h, i, 0), D);
            double p = Math.Exp(scale * TensorPrimitives.Dot(qi, kj) - lse[i]);
            double dp = TensorPrimitives.Dot(dOi, vj);
            TensorPrimitives.MultiplyAdd(dOi, p, dv, dv);
            TensorPrimitives.MultiplyAdd(absDO.AsSpan(Index(h, i, 0), D), p, dvBound, dvBound);
            TensorPrimitives.MultiplyAdd(qi, scale * p * (dp - delta[i]), dk, dk);
            TensorPrimitives.MultiplyAdd(absQ.AsSpan(Index(h, i, 0), D), scale * p * (Math.Abs(dp) + Math.Abs(delta[i])), dkBound, dkBound);
        }
        return new Column(dk, dkBound, dv, dvBound);
    }

    void Expect(string what, string tensor, int h, int i, int d, float got, double want, double bound, double tolerance)
    {
        double allowed = tolerance * bound + AbsoluteFloor;
        if (!(Math.Abs(got - want) <= allowed)) // also fails on NaN
            throw new InvalidOperationException(
                $"{what} {Suffix}: {tensor}[0,{h},{i},{d}] is {got}, the double-precision reference says {want} ± {allowed:G3}");
    }

    /// <summary>Parallel.ForEach that throws the first failure itself rather than an AggregateException.</summary>
    static void ForEach(int[] items, Action<int> body)
    {
        try
        {
            Parallel.ForEach(items, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <summary>Rows 0 and N−1 and one random row in each run of 64.</summary>
    int[] SampleIndices()
    {
        var rows = new SortedSet<int> { 0, N - 1 };
        lock (rng)
            for (int start = 0; start < N; start += 64)
                rows.Add(start + rng.Next(Math.Min(64, N - start)));
        return [.. rows];
    }

    int Index(int h, int i, int d) => (h * N + i) * D + d; // B = 1

    static float[] Normal(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) // Box–Muller
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    static (double[] Values, double[] Absolute) Widen(float[] x)
    {
        var values = new double[x.Length];
        var absolute = new double[x.Length];
        for (int i = 0; i < x.Length; i++) absolute[i] = Math.Abs(values[i] = x[i]);
        return (values, absolute);
    }
}
