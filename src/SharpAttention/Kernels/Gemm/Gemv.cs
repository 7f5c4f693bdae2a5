using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Gemm;

/// <summary>
/// The few-row fast path of <see cref="GemmF32"/>: C = alpha·A·Bᵀ + beta·C where B is stored (n, k) with contiguous
/// rows — a Linear layer's (out, in) weight — and A has at most <see cref="MaxRows"/> contiguous rows. That is a
/// decoding step at batch 1 (or a few beams): every output is one dot product of an A row with a weight row, so
/// packing B for the register-blocked kernel would cost more than the product itself (the weight is read once
/// either way; packing writes it again). Four weight rows are walked at once, each A chunk loaded once for them, with
/// one vector accumulator per output, and the rows two groups ahead are prefetched. Threads take the output columns
/// in one contiguous share each (static shares; the caller nearly always runs share 0, so a thread usually gets the
/// same columns call after call): a decoding step reads the same 20 MB of weights token after token, and a thread
/// that keeps its share finds it in its own caches (dynamic grains spread every weight row over both threads'
/// caches: greedy decode of the benchmark model 2,090–2,140 → 2,530–2,660 tok/s, medians of 40 alternating runs).
/// Each element is summed by one thread in a fixed order, so results are bit-identical for any thread count.
/// Reference twin: ReferenceGemm.
/// </summary>
internal static unsafe class Gemv
{
    /// <summary>Most rows of A the path takes: beyond a handful, the packed GEMM reuses each weight load better.</summary>
    public const int MaxRows = 4;

    /// <summary>Weight elements (256 KiB of float) from which the columns are split over the team: a decoding step's
    /// projections (0.25–1 MiB each at d_model 256) come back to back, so the workers are usually still spinning.
    /// Against the previous 4 MiB threshold (only the output projection split) the decode benchmark showed no
    /// difference beyond its ±25 % run-to-run noise on this shared VM (means 1,294 and 1,269 tok/s over 5 and 8 runs).</summary>
    const long MinParallel = 1L << 16;

    /// <summary>Whether <paramref name="p"/> is a few contiguous rows of A against contiguous rows of B (op(B) = Bᵀ).</summary>
    public static bool Applies(in GemmProblem p) => p.M <= MaxRows && p.ACol == 1 && p.BRow == 1;

    /// <summary>Computes one product on the vector width of <paramref name="isa"/>, split over at most
    /// <paramref name="parts"/> threads.</summary>
    public static void Run(in GemmProblem p, GemmIsa isa, int parts)
    {
        var body = new ColumnsBody(p, isa);
        int groups = (p.N + 3) / 4;
        parts = Math.Min(parts, groups);
        if (parts <= 1 || (long)p.N * p.K < MinParallel) body.Run(0, groups);
        else ParallelFor.For(parts, (long)groups * 4 * p.M * p.K / parts, new SharesBody(body, groups, parts));
    }

    /// <summary>Share s of <paramref name="parts"/>: groups [groups·s/parts, groups·(s+1)/parts).</summary>
    readonly struct SharesBody(ColumnsBody body, int groups, int parts) : IRangeBody
    {
        public void Run(int start, int end) => body.Run((int)((long)groups * start / parts), (int)((long)groups * end / parts));
    }

    /// <summary>Output columns [4·first, 4·last): four weight rows against every A row.</summary>
    readonly struct ColumnsBody(GemmProblem p, GemmIsa isa) : IRangeBody
    {
        /// <summary>Groups of weight rows prefetched ahead: the weights stream from L3 or memory once per call, and
        /// the hardware prefetcher alone leaves bandwidth unused (measured 2 best of 0, 1, 2, 4, 8).</summary>
        const int Ahead = 2;

        public void Run(int first, int last)
        {
            Span<float> dots = stackalloc float[4];
            for (int g = first; g < last; g++)
            {
                int j = 4 * g, cols = Math.Min(4, p.N - j);
                float* w = p.B + j * p.BCol;
                int ahead = Math.Min(4, p.N - (j + 4 * Ahead));
                if (ahead > 0 && Sse.IsSupported)
                {
                    byte* next = (byte*)(w + 4 * Ahead * p.BCol);
                    for (long o = 0, bytes = (long)ahead * p.BCol * sizeof(float); o < bytes; o += 64) Sse.Prefetch0(next + o);
                }
                for (int i = 0; i < p.M; i++)
                {
                    float* a = p.A + i * p.ARow;
                    fixed (float* d = dots) Dots(isa, a, w, p.BCol, p.K, cols, d);
                    float* c = p.C + i * p.Ldc + j;
                    for (int e = 0; e < cols; e++)
                        c[e] = p.Beta == 0f ? p.Alpha * dots[e] : p.Alpha * dots[e] + p.Beta * c[e];
                }
            }
        }
    }

    /// <summary>d[e] = Σ_p a[p]·w[e·ldw + p] for e &lt; cols (≤ 4); rows past cols are not read.</summary>
    static void Dots(GemmIsa isa, float* a, float* w, nint ldw, int k, int cols, float* d)
    {
        // Missing rows read row 0 again (in bounds) and are dropped, so the loops stay branch-free.
        float* w0 = w, w1 = cols > 1 ? w + ldw : w, w2 = cols > 2 ? w + 2 * ldw : w, w3 = cols > 3 ? w + 3 * ldw : w;
        int p = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (isa == GemmIsa.Avx512 && k >= 16)
        {
            Vector512<float> v0 = default, v1 = default, v2 = default, v3 = default;
            for (; p + 16 <= k; p += 16)
            {
                var x = Vector512.Load(a + p);
                v0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w0 + p), v0);
                v1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w1 + p), v1);
                v2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w2 + p), v2);
                v3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(w3 + p), v3);
            }
            (s0, s1, s2, s3) = (Vector512.Sum(v0), Vector512.Sum(v1), Vector512.Sum(v2), Vector512.Sum(v3));
        }
        else if (isa == GemmIsa.Avx2 && k >= 8)
        {
            Vector256<float> v0 = default, v1 = default, v2 = default, v3 = default;
            for (; p + 8 <= k; p += 8)
            {
                var x = Vector256.Load(a + p);
                v0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(w0 + p), v0);
                v1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(w1 + p), v1);
                v2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(w2 + p), v2);
                v3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(w3 + p), v3);
            }
            (s0, s1, s2, s3) = (Vector256.Sum(v0), Vector256.Sum(v1), Vector256.Sum(v2), Vector256.Sum(v3));
        }
        else if (isa == GemmIsa.Vector128 && k >= 4)
        {
            Vector128<float> v0 = default, v1 = default, v2 = default, v3 = default;
            for (; p + 4 <= k; p += 4)
            {
                var x = Vector128.Load(a + p);
                v0 += x * Vector128.Load(w0 + p);
                v1 += x * Vector128.Load(w1 + p);
                v2 += x * Vector128.Load(w2 + p);
                v3 += x * Vector128.Load(w3 + p);
            }
            (s0, s1, s2, s3) = (Vector128.Sum(v0), Vector128.Sum(v1), Vector128.Sum(v2), Vector128.Sum(v3));
        }
        for (; p < k; p++)
        {
            float x = a[p];
            s0 = MathF.FusedMultiplyAdd(x, w0[p], s0);
            s1 = MathF.FusedMultiplyAdd(x, w1[p], s1);
            s2 = MathF.FusedMultiplyAdd(x, w2[p], s2);
            s3 = MathF.FusedMultiplyAdd(x, w3[p], s3);
        }
        d[0] = s0;
        d[1] = s1;
        d[2] = s2;
        d[3] = s3;
    }
}
