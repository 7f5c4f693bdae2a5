using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Attention;
using SharpAttention.Kernels.Reference;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary>The fused attention kernel against its naive double-precision twin, called directly (pointers, strides,
/// bottom-right causal alignment), at every SIMD width this machine runs (512, 256 and 128 bits: each check forces
/// each width in turn), plus determinism and workspace bounds. Forcing a width and setting the thread count are
/// process-wide, hence the serial collection.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public unsafe class FlashAttentionKernelTests
{
    /// <summary>Inputs of one problem, contiguous except that q and dO rows are padded by `pad` floats (strided rows).</summary>
    sealed class Problem
    {
        public AttentionProblem P;
        public float[] Q = [], K = [], V = [], DO = [];
        public long[]? Lengths;
        public float[]? AddMask;   // (H, L, S), broadcast over B
        public int Pad;

        public static Problem Random(AttentionProblem p, int seed, bool lengths = false, bool mask = false, int pad = 0)
        {
            var rng = new Random(seed);
            float[] R(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var x = new Problem { P = p, Pad = pad };
            x.Q = R((long)p.B * p.H * p.L * (p.E + pad));
            x.K = R((long)p.B * p.Hkv * p.S * p.E);
            x.V = R((long)p.B * p.Hkv * p.S * p.Ev);
            x.DO = R((long)p.B * p.H * p.L * (p.Ev + pad));
            if (lengths) x.Lengths = Enumerable.Range(0, p.B).Select(b => (long)(b == 0 ? p.S : rng.Next(0, p.S + 1))).ToArray();
            if (mask)
            {
                x.AddMask = R((long)p.H * p.L * p.S);
                for (int i = 0; i < x.AddMask.Length; i++) if (rng.NextDouble() < 0.1) x.AddMask[i] = float.NegativeInfinity;
            }
            return x;
        }

        /// <summary>Fused forward + backward: O, lse, dq, dk, dv (q and dq contiguous in the results).</summary>
        public (float[] O, float[] Lse, float[] Dq, float[] Dk, float[] Dv) Fused()
        {
            var p = P;
            var o = new float[p.B * p.H * p.L * p.Ev];
            var lse = new float[p.B * p.H * p.L];
            var dq = new float[p.B * p.H * p.L * p.E];
            var dk = new float[K.Length];
            var dv = new float[V.Length];
            var delta = new float[lse.Length];
            var partials = new float[FlashBackward.PartialFloats(p) + 1];
            var lengths = Lengths ?? [0];
            fixed (float* pq = Q, pk = K, pv = V, pdo = DO, po = o, pl = lse, pdq = dq, pdk = dk, pdv = dv, pd = delta)
            fixed (float* pm = AddMask ?? [0f])
            fixed (long* plen = lengths)
            fixed (float* pp = partials)
            {
                int qe = p.E + Pad, de = p.Ev + Pad;
                var args = new FlashArgs
                {
                    P = p,
                    Q = new(pq, (long)p.H * p.L * qe, (long)p.L * qe, qe),
                    K = new(pk, (long)p.Hkv * p.S * p.E, (long)p.S * p.E, p.E),
                    V = new(pv, (long)p.Hkv * p.S * p.Ev, (long)p.S * p.Ev, p.Ev),
                    O = new(po, (long)p.H * p.L * p.Ev, (long)p.L * p.Ev, p.Ev),
                    Lse = pl,
                    KeyLengths = Lengths == null ? null : plen,
                    MaskKind = AddMask == null ? AttentionMaskKind.None : AttentionMaskKind.Additive,
                    Mask = AddMask == null ? null : pm,
                    MaskStrides = new MaskStrides(0, (long)p.L * p.S, p.S, 1),
                    DO = new(pdo, (long)p.H * p.L * de, (long)p.L * de, de),
                    DQ = new(pdq, (long)p.H * p.L * p.E, (long)p.L * p.E, p.E),
                    DK = new(pdk, (long)p.Hkv * p.S * p.E, (long)p.S * p.E, p.E),
                    DV = new(pdv, (long)p.Hkv * p.S * p.Ev, (long)p.S * p.Ev, p.Ev),
                    Delta = pd,
                    DqPartials = pp,
                };
                FlashForward.Run(args);
                FlashBackward.Run(args);
            }
            return (o, lse, dq, dk, dv);
        }

        static double[] Unpad(float[] x, int rows, int width, int pad)
        {
            var r = new double[rows * width];
            for (int i = 0; i < rows; i++)
                for (int c = 0; c < width; c++) r[i * width + c] = x[i * (width + pad) + c];
            return r;
        }

        public (double[] O, double[] Lse, double[] Dq, double[] Dk, double[] Dv) Reference()
        {
            var p = P;
            int rows = p.B * p.H * p.L;
            var q = Unpad(Q, rows, p.E, Pad);
            var dO = Unpad(DO, rows, p.Ev, Pad);
            var k = K.Select(x => (double)x).ToArray();
            var v = V.Select(x => (double)x).ToArray();
            var o = new double[rows * p.Ev];
            var lse = new double[rows];
            var mask = AddMask?.Select(x => (double)x).ToArray() ?? [];
            var kind = AddMask == null ? AttentionMaskKind.None : AttentionMaskKind.Additive;
            var ms = new MaskStrides(0, (long)p.L * p.S, p.S, 1);
            AttentionReference.Forward(o, lse, q, k, v, p, Lengths ?? [], kind, default, mask, ms);
            var dq = new double[q.Length];
            var dk = new double[k.Length];
            var dv = new double[v.Length];
            AttentionReference.Backward(dq, dk, dv, dO, q, k, v, o, lse, p, Lengths ?? [], kind, default, mask, ms);
            return (o, lse, dq, dk, dv);
        }
    }

    static void Close(double[] expected, float[] actual, string what, double tol = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max());
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsPositiveInfinity(expected[i]))
            {
                Assert.True(float.IsPositiveInfinity(actual[i]), $"{what}[{i}]: expected +inf, got {actual[i]}");
                continue;
            }
            if (!(Math.Abs(expected[i] - actual[i]) <= tol * scale))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (scale {scale:G3})");
        }
    }

    /// <summary>Attention widths this machine runs, widest first (the scalar setting runs the 128-bit code).</summary>
    static int[] Widths => KernelPaths.Widths.Where(w => w != 0).ToArray();

    /// <summary>Whether a width's multiply-add rounds once (128 bits on x86 without FMA does not).</summary>
    static bool Fused(int width) => width != 128 || W128.Fused;

    /// <summary>The fused kernel at every width against the reference; O and lse also bit for bit against the widest
    /// width (each query row's sums run in the same order at every width). The backward's sums are grouped by its key
    /// block, whose size follows the width, so its gradients agree within the tolerance only.</summary>
    static void Check(Problem x)
    {
        var r = x.Reference();
        (float[] O, float[] Lse, float[] Dq, float[] Dk, float[] Dv)? widest = null;
        foreach (int width in Widths)
            using (SimdWidth.Force(width))
            {
                var f = x.Fused();
                string at = $"{width}-bit ";
                Close(r.O, f.O, at + "O");
                Close(r.Lse, f.Lse, at + "lse");
                Close(r.Dq, f.Dq, at + "dq");
                Close(r.Dk, f.Dk, at + "dk");
                Close(r.Dv, f.Dv, at + "dv");
                if (widest is { } w && Fused(width))
                {
                    SameBits(w.O, f.O, at + "O");
                    SameBits(w.Lse, f.Lse, at + "lse");
                }
                widest ??= f;
            }
    }

    static void SameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i]))
                Assert.Fail($"{what}[{i}]: {actual[i]:R} differs from the widest width's {expected[i]:R}");
    }

    public static TheoryData<int, int, int, int, int, int, int, bool, int> Shapes() => new()
    {
        // B, H, Hkv, L, S, E, Ev, causal, causal offset (0 = top-left, S − L = bottom-right)
        { 1, 1, 1, 1, 1, 8, 8, false, 0 },
        { 1, 1, 1, 1, 257, 64, 64, true, 256 },      // one decoding step with a KV cache
        { 1, 2, 1, 7, 257, 64, 64, true, 250 },      // the last 7 positions, bottom-right, GQA
        { 4, 8, 2, 2, 600, 64, 64, true, 598 },      // two decoding rows of a batch, long enough to share over threads
        { 2, 2, 2, 64, 64, 64, 64, false, 0 },
        { 1, 2, 2, 257, 257, 64, 64, true, 0 },
        { 1, 1, 1, 257, 100, 80, 80, true, 0 },      // L > S, E = 80
        { 1, 3, 3, 300, 73, 8, 24, false, 0 },
        { 2, 4, 2, 65, 145, 16, 8, true, -20 },      // rows before 20 see nothing
        { 1, 1, 1, 1030, 77, 64, 64, false, 0 },     // more query tiles than one group
        { 1, 2, 2, 33, 600, 72, 40, false, 0 },      // E not a multiple of 16, several key blocks
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedMatchesReference(int b, int h, int hkv, int l, int s, int e, int ev, bool causal, int offset) =>
        Check(Problem.Random(new AttentionProblem(b, h, hkv, l, s, e, ev, 1 / Math.Sqrt(e), causal, offset), 17));

    [Fact]
    public void EveryLengthFrom0To257()
    {
        // Query and key lengths each take every value 0..257 (paired so that both sweep all tile and block edges).
        for (int n = 0; n <= 257; n++)
        {
            int s = (n * 37 + 5) % 258;
            Check(Problem.Random(new AttentionProblem(1, 2, 1, n, s, 8, 5, 0.3, n % 2 == 0, 0), n, lengths: n % 3 == 0 && s > 0, mask: n % 5 == 0));
        }
    }

    /// <summary>Head dims of whole vectors (the backward's transposed pack and write-back) with short and long key
    /// blocks, key lengths, masks, strided rows and grouped-query heads.</summary>
    [Fact]
    public void WholeVectorHeadsAtShortAndLongKeyLengths()
    {
        foreach (int s in new[] { 1, 5, 10, 15, 16, 17, 31, 33, 64, 65, 100 })
        {
            int e = s % 2 == 0 ? 64 : 32, l = 1 + s * 7 % 13;
            var p = new AttentionProblem(3, 4, 2, l, s, e, 96 - e, 0.3, s % 3 == 0, 0);
            Check(Problem.Random(p, s, lengths: s % 2 == 1, mask: s % 5 == 0, pad: s % 4));
        }
    }

    /// <summary>The few-row decode path (<see cref="DecodeAttention"/>: L ≤ 4, no dropout) at every key length 0..257,
    /// with bottom-right causal offsets, grouped-query heads, masks, key lengths and strided rows; the fused backward
    /// runs on its lse.</summary>
    [Fact]
    public void FewQueryRowsEveryKeyLengthFrom0To257()
    {
        for (int s = 0; s <= 257; s++)
        {
            int l = 1 + s % DecodeAttention.MaxRows, e = 16 + s % 3 * 24;
            var p = new AttentionProblem(2, 4, 2, l, s, e, 8 + s % 2 * 5, 0.3, s % 2 == 0, Math.Max(0, s - l));
            Check(Problem.Random(p, s, lengths: s % 3 == 0 && s > 0, mask: s % 5 == 0, pad: s % 4));
        }
    }

    [Fact]
    public void FewQueryRowsPropagateNaNToTheRowsThatSeeIt()
    {
        var p = new AttentionProblem(1, 2, 1, 2, 40, 16, 16, 0.25, Causal: true, CausalOffset: 20);
        var x = Problem.Random(p, 6);
        x.K[30 * 16 + 7] = float.NaN;   // key 30: past every row's causal end
        x.K[21 * 16 + 2] = float.NaN;   // key 21: seen by row 1 only (row i sees keys ≤ i + 20)
        var (o, _, _, _, _) = x.Fused();
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 2; i++)
                for (int e = 0; e < 16; e++) Assert.Equal(i == 1, float.IsNaN(o[(h * 2 + i) * 16 + e]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MasksLengthsDropoutAndStridedRows(bool causal) =>
        Check(Problem.Random(new AttentionProblem(3, 2, 1, 77, 131, 64, 64, 0.2, causal, 0, 0.25, 1234), 5,
                             lengths: true, mask: true, pad: 3));

    [Fact]
    public void OddHeadDimsWithDropoutMasksAndLengths() =>
        Check(Problem.Random(new AttentionProblem(1, 2, 1, 70, 90, 80, 24, 0.1, true, 0, 0.1, 3), 9, lengths: true, mask: true));

    [Fact]
    public void BitIdenticalForAFixedThreadCountAndAcrossRuns()
    {
        var x = Problem.Random(new AttentionProblem(2, 3, 3, 150, 170, 64, 64, 0.125, true, 0, 0.1, 77), 3, lengths: true);
        int saved = Threads.Count;
        try
        {
            Threads.Count = 2;
            var a = x.Fused();
            var b = x.Fused();
            Assert.Equal(a.O, b.O);
            Assert.Equal(a.Dq, b.Dq);
            Assert.Equal(a.Dk, b.Dk);
            Assert.Equal(a.Dv, b.Dv);
            // With enough kv heads every row and key is computed by one item in a fixed order, so here even the
            // thread count does not matter (with few kv heads, dQ sums per-thread-count key ranges).
            Threads.Count = 1;
            var c = x.Fused();
            Assert.Equal(a.O, c.O);
            Assert.Equal(a.Dq, c.Dq);
            Assert.Equal(a.Dk, c.Dk);
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    [Theory]
    [InlineData(false, 64)]
    [InlineData(true, 64)]
    [InlineData(true, 40)]
    public void FewKvHeadsSplitKeysAcrossThreads(bool causal, int e)
    {
        int saved = Threads.Count;
        try
        {
            Threads.Count = 2;
            var p = new AttentionProblem(1, 3, 1, 200, 330, e, 32, 0.15, causal);
            Assert.True(FlashBackward.KeySplits(p) > 1);
            var x = Problem.Random(p, 21, lengths: false, mask: true);
            Check(x);
            Assert.Equal(x.Fused().Dq, x.Fused().Dq);
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    [Fact]
    public void AddTransposedAddsTheTransposeAtEveryWidth()
    {
        AddTransposed<Vector512<float>, W512>();
        AddTransposed<Vector256<float>, W256>();
        AddTransposed<Vector128<float>, W128>();
    }

    static void AddTransposed<TV, TW>() where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int n = TW.Count, ld = n + 4;
        var rows = new float[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++) rows[r * n + c] = 1000f * r + c;
        var dst = new float[n * ld];
        for (int k = 0; k < dst.Length; k++) dst[k] = k;
        fixed (float* pr = rows)
        fixed (float* d = dst) TileMath.AddTransposed<TV, TW>((TV*)pr, d, ld);
        for (int k = 0; k < n; k++)
            for (int c = 0; c < ld; c++)
                Assert.Equal(k * ld + c + (c < n ? 1000f * c + k : 0), dst[k * ld + c]);
    }

    /// <summary>Each width's bool-mask widening and dropout keep bits against the scalar rules.</summary>
    [Fact]
    public void MaskBiasAndDropoutBitsMatchTheScalarRulesAtEveryWidth()
    {
        MaskAndDropout<Vector512<float>, W512>();
        MaskAndDropout<Vector256<float>, W256>();
        MaskAndDropout<Vector128<float>, W128>();
    }

    static void MaskAndDropout<TV, TW>() where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int n = TW.Count;
        var rng = new Random(n);
        var mask = Enumerable.Range(0, n + 3).Select(_ => rng.Next(2) == 1).ToArray();
        var got = new float[n];
        uint threshold = AttentionDropout.Threshold(0.3), rowKey = AttentionDropout.RowKey(AttentionDropout.HeadKey(7, 3), 11);
        var rowKeys = Enumerable.Range(0, n).Select(i => AttentionDropout.RowKey(12345, i)).ToArray();
        fixed (bool* m = mask)
        fixed (float* g = got)
        fixed (uint* rk = rowKeys)
            for (int offset = 0; offset < 3; offset++)
            {
                TW.Store(TW.BoolBias(m + offset), g);
                for (int k = 0; k < n; k++) Assert.Equal(mask[offset + k] ? 0f : float.NegativeInfinity, got[k]);
                // Keys vary along the lanes (backward) or rows do (forward).
                TW.Store(TW.KeepMask(TW.SplatBits(rowKey), TW.IndexBits((uint)(40 + offset)), threshold), g);
                for (int k = 0; k < n; k++)
                    Assert.Equal(AttentionDropout.Keep(rowKey, 40 + offset + k, threshold), BitConverter.SingleToUInt32Bits(got[k]) == uint.MaxValue);
                TW.Store(TW.KeepMask(TW.Load((float*)rk), TW.SplatBits((uint)offset), threshold), g);
                for (int k = 0; k < n; k++)
                    Assert.Equal(AttentionDropout.Keep(rowKeys[k], offset, threshold), BitConverter.SingleToUInt32Bits(got[k]) == uint.MaxValue);
            }
    }

    [Fact]
    public void NaNPropagatesToTheRowsThatSeeIt()
    {
        var p = new AttentionProblem(1, 1, 1, 100, 100, 16, 16, 0.25, Causal: true);
        var x = Problem.Random(p, 4);
        x.Q[10 * 16 + 3] = float.NaN;   // query row 10
        x.K[50 * 16 + 7] = float.NaN;   // key 50: seen by causal rows ≥ 50
        foreach (int width in Widths)
            using (SimdWidth.Force(width))
            {
                var (o, _, _, _, _) = x.Fused();
                for (int i = 0; i < 100; i++)
                {
                    bool nan = i == 10 || i >= 50;
                    for (int e = 0; e < 16; e++) Assert.True(nan == float.IsNaN(o[i * 16 + e]), $"{width}-bit O[{i}, {e}] = {o[i * 16 + e]}");
                }
            }
    }

    [Fact]
    public void Exp2IsAccurateAndZeroBelowRange()
    {
        for (double x = -126; x <= 0; x += 0.0137)
        {
            double expected = Math.Pow(2, (float)x);
            Assert.True(Math.Abs(TileMath.Exp2((float)x) - expected) <= 2e-7 * expected, $"exp2({x})");
        }
        Assert.Equal(0f, TileMath.Exp2(-127f));
        Assert.Equal(0f, TileMath.Exp2(-1000f));
        Assert.Equal(0f, TileMath.Exp2(float.NegativeInfinity));
        Assert.Equal(1f, TileMath.Exp2(0f));
        Assert.True(float.IsNaN(TileMath.Exp2(float.NaN)));
    }

    /// <summary>The vector exp2 of every width gives, lane by lane, the bits of the scalar form (the same operation
    /// sequence), NaN included.</summary>
    [Fact]
    public void Exp2IsTheSameAtEveryWidth()
    {
        var xs = Enumerable.Range(0, 4000).Select(i => -130f + i * 0.0331f).Concat([float.NaN, float.NegativeInfinity, 0f, -0f]).ToArray();
        Exp2Lanes<Vector512<float>, W512>(xs);
        Exp2Lanes<Vector256<float>, W256>(xs);
        Exp2Lanes<Vector128<float>, W128>(xs);
    }

    static void Exp2Lanes<TV, TW>(float[] xs) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        if (!TW.Fused || !W128.Fused) return;   // unfused multiply-adds round differently
        int n = TW.Count;
        var got = new float[4 * n];
        for (int i = 0; i + 4 * n <= xs.Length; i += 4 * n)
            fixed (float* x = &xs[i])
            fixed (float* g = got)
            {
                TV x0 = TW.Load(x), x1 = TW.Load(x + n), x2 = TW.Load(x + 2 * n), x3 = TW.Load(x + 3 * n);
                TileMath.Exp2<TV, TW, Vec4>(ref x0, ref x1, ref x2, ref x3);
                TW.Store(x0, g);
                TW.Store(x1, g + n);
                TW.Store(x2, g + 2 * n);
                TW.Store(x3, g + 3 * n);
                for (int k = 0; k < 4 * n; k++)
                    Assert.True(TileMath.Exp2(xs[i + k]).Equals(got[k]), $"{n * 32}-bit exp2({xs[i + k]:R}) = {got[k]:R}");
            }
    }

    [Fact]
    public void WorkspaceDoesNotGrowWithLengthSquared()
    {
        var small = new AttentionProblem(1, 8, 8, 512, 512, 64, 64, 0.125);
        var large = small with { L = 16384, S = 16384 };
        Assert.Equal(FlashForward.WorkspaceFloats(small, 64), FlashForward.WorkspaceFloats(large, 64));
        Assert.Equal(FlashBackward.WorkspaceFloats(small), FlashBackward.WorkspaceFloats(large));
        Assert.True(FlashForward.WorkspaceFloats(large, 64) * 4 < 1 << 20);
        // Odd head dims keep a padded dQ accumulator: O(L·E), not O(L·S).
        var odd = large with { E = 72, Ev = 72 };
        Assert.True(FlashBackward.WorkspaceFloats(odd) * 4 < 16L << 20);
    }
}
