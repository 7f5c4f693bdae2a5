using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Attention;

/// <summary>
/// Flash-attention backward (FlashAttention-2, Dao 2023, algorithm 2): probabilities are recomputed from the saved
/// logsumexp, P = 2^(S − lse), with D = rowsum(dO∘O) so that dS = P∘(dP − D) needs no second pass; nothing of size
/// L·S is stored. One work item is one kv head (b, g): for each block of 64 keys, Kᵀ and Vᵀ are packed once, dKᵀ and
/// dVᵀ accumulate in the workspace over every query tile of the kv head's query heads, and dQ accumulates in place —
/// the item owns all three, so there are no races and the result is the same for any thread count.
/// Widths: one source for 512, 256 and 128 bits (<see cref="ITileWidth{TV}"/>), chosen per call by
/// <see cref="TileWidthSelect.Current"/>; dK and dV are bit-identical across widths whose FMA is fused (their sums
/// run over query tiles of 48 rows at every width), dQ sums key blocks of the width's size.
/// <para>Layout: keys in SIMD lanes ([i, j] tiles of 48 query rows × a block of 4 vectors of keys: 64 at 512 bits, 32
/// at 256, 16 at 128), so the mask rows load directly and the row statistics lse and D are scalars broadcast per row. S = Q·Kᵀ and dP = dO·Vᵀ broadcast Q and dO elements;
/// dVᵀ += dOᵀ·P̃ and dKᵀ += Qᵀ·dS broadcast dO and Q columns; dQ += dS·K broadcasts dS with the head dim in lanes.</para>
/// </summary>
internal static unsafe class FlashBackward
{
    const int Bq = 48;   // query rows per tile, a multiple of the micro-kernel's 6

    /// <summary>Keys per block = lanes of a tile row: 4 vectors of the width a call takes now.</summary>
    static int BlockKeys => 4 * (TileWidthSelect.Current / 32);

    [ThreadStatic] static float[]? workspace;

    static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    /// <summary>Floats of per-thread workspace at the current width: Kᵀ, Vᵀ, dKᵀ, dVᵀ (a block of lanes each), K
    /// padded to whole vectors, two tiles, and a dQ accumulator (the rows of a kv head's query heads, only when E is
    /// not whole vectors).</summary>
    public static long WorkspaceFloats(in AttentionProblem p) => WorkspaceFloats(p, BlockKeys, BlockKeys / 4);

    static long WorkspaceFloats(in AttentionProblem p, int bk, int w) =>
        bk * (2L * RoundUp(p.E, TileMath.MR) + 2L * RoundUp(p.Ev, TileMath.MR)) + (long)bk * RoundUp(p.E, w)
        + 2L * (Bq + TileMath.MR) * bk + (p.E % w == 0 ? 0 : (long)p.Group * p.L * RoundUp(p.E, w)) + 64;

    /// <summary>Key ranges each kv head's work is split into: 1 when there are enough kv heads to keep every thread
    /// busy, else enough ranges for about two items per thread (each range then adds its own partial dQ).</summary>
    public static int KeySplits(in AttentionProblem p)
    {
        // Counted in blocks of 64 keys whatever the width (64 is the widest block, so a range always holds a block):
        // the caller sizes DqPartials from this before Run, so it must not depend on a width a test may change between.
        int items = p.B * p.Hkv, threads = Threads.Count, blocks = (p.S + 63) / 64;
        if (items == 0 || threads <= 1 || items >= 2 * threads) return 1;
        return Math.Max(1, Math.Min(blocks, (2 * threads + items - 1) / items));
    }

    /// <summary>Floats of <see cref="FlashArgs.DqPartials"/> the caller provides: one (B, H, L, E) dQ per extra key range.</summary>
    public static long PartialFloats(in AttentionProblem p) => (KeySplits(p) - 1L) * p.B * p.H * p.L * p.E;

    public static void Run(in FlashArgs args)
    {
        // The width is chosen here, on the caller's thread; the workers run the instantiation it picks.
        switch (TileWidthSelect.Current)
        {
            case 512: Run<Vector512<float>, W512>(args); break;
            case 256: Run<Vector256<float>, W256>(args); break;
            default: Run<Vector128<float>, W128>(args); break;
        }
    }

    static void Run<TV, TW>(in FlashArgs args) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        var p = args.P;
        int bk = 4 * TW.Count;
        if (p.B == 0 || p.Hkv == 0) return;
        if (p.S == 0)
        {
            // No keys: every output row was 0, so is every query gradient.
            for (int b = 0; b < p.B; b++)
                for (int h = 0; h < p.H; h++)
                    for (int i = 0; i < p.L; i++) new Span<float>(args.DQ.Row(b, h, i), p.E).Clear();
            return;
        }
        int splits = KeySplits(p);
        // Key-block boundaries of the ranges, balanced by work: under a causal mask later key blocks are seen by
        // fewer query rows.
        int blocks = (p.S + bk - 1) / bk;
        var bounds = stackalloc int[splits + 1];
        Balance(p, bk, blocks, splits, bounds);
        fixed (FlashArgs* a = &args)
        {
            // 1. D = rowsum(dO∘O) per query row; zero dQ and the partial dQs, which the items accumulate into.
            ParallelFor.For(p.B * p.H, (long)p.L * (p.Ev + p.E * splits), new DeltaBody(a, splits));
            // 2. One item per kv head and key range; it owns dK and dV of its keys and its (partial) dQ.
            long cost = (long)p.Group * p.L * p.S / splits * (3 * p.E + 2 * p.Ev) * (p.Causal ? 1 : 2);
            ParallelFor.ForDynamic(p.B * p.Hkv * splits, 1, cost, new KvHeadBody<TV, TW>(a, splits, bounds));
            // 3. dQ = scale·Σ partial dQs, in range order.
            ParallelFor.For(p.B * p.H, (long)p.L * p.E * splits, new FinishBody(a, splits));
        }
    }

    static void Balance(in AttentionProblem p, int bk, int blocks, int splits, int* bounds)
    {
        double total = 0;
        for (int k = 0; k < blocks; k++) total += BlockWork(p, bk, k);
        bounds[0] = 0;
        double run = 0;
        int r = 1;
        for (int k = 0; k < blocks && r < splits; k++)
        {
            run += BlockWork(p, bk, k);
            if (run >= total * r / splits) bounds[r++] = k + 1;
        }
        while (r <= splits) bounds[r++] = blocks;
    }

    /// <summary>Query rows that see key block k (the work of the block up to a constant).</summary>
    static double BlockWork(in AttentionProblem p, int bk, int k) =>
        p.Causal ? p.L - Math.Clamp((long)k * bk - p.CausalOffset, 0, p.L) + 1 : p.L;

    /// <summary>Partial dQ rows of key range r: range 0 accumulates in dQ itself.</summary>
    static StridedRows DqRows(FlashArgs* a, int r)
    {
        ref readonly var p = ref a->P;
        if (r == 0) return a->DQ;
        return new StridedRows(a->DqPartials + (r - 1L) * p.B * p.H * p.L * p.E, (long)p.H * p.L * p.E, (long)p.L * p.E, p.E);
    }

    readonly struct DeltaBody(FlashArgs* a, int splits) : IRangeBody
    {
        public void Run(int start, int end)
        {
            ref readonly var p = ref a->P;
            for (int bh = start; bh < end; bh++)
            {
                int b = bh / p.H, h = bh % p.H;
                for (int i = 0; i < p.L; i++)
                {
                    a->Delta[(long)bh * p.L + i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(a->DO.Row(b, h, i), p.Ev), new ReadOnlySpan<float>(a->O.Row(b, h, i), p.Ev));
                    for (int r = 0; r < splits; r++) new Span<float>(DqRows(a, r).Row(b, h, i), p.E).Clear();
                }
            }
        }
    }

    readonly struct KvHeadBody<TV, TW>(FlashArgs* a, int splits, int* bounds) : IRangeBody
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        public void Run(int start, int end)
        {
            int bk = 4 * TW.Count;
            float* ws = TileMath.Aligned(ref workspace, WorkspaceFloats(a->P, bk, TW.Count));
            for (int t = start; t < end; t++)
            {
                int bg = t / splits, r = t % splits;
                KvHead<TV, TW>(a, ws, bg / a->P.Hkv, bg % a->P.Hkv, bounds[r] * bk, Math.Min(a->P.S, bounds[r + 1] * bk), DqRows(a, r));
            }
        }
    }

    readonly struct FinishBody(FlashArgs* a, int splits) : IRangeBody
    {
        public void Run(int start, int end)
        {
            ref readonly var p = ref a->P;
            float scale = (float)p.Scale;
            for (int bh = start; bh < end; bh++)
                for (int i = 0; i < p.L; i++)
                {
                    var dq = new Span<float>(a->DQ.Row(bh / p.H, bh % p.H, i), p.E);
                    for (int r = 1; r < splits; r++)
                        TensorPrimitives.Add(dq, new ReadOnlySpan<float>(DqRows(a, r).Row(bh / p.H, bh % p.H, i), p.E), dq);
                    TensorPrimitives.Multiply(dq, scale, dq);
                }
        }
    }

    /// <summary>Packs keys [j0, j0 + jn) of kv head (b, g), lanes past jn zero: kt = Kᵀ·kScale and vt = Vᵀ (block-wide
    /// rows) by W×W transposes, kp = K rows. Needs E and Ev whole vectors (then eLanes = E).</summary>
    static void PackBlock<TV, TW>(FlashArgs* a, int b, int g, int j0, int jn, int lanes, float kScale, float* kt, float* vt, float* kp)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        ref readonly var p = ref a->P;
        int w = TW.Count, bk = 4 * w;
        var rows = stackalloc TV[2 * w];
        var ks = TW.Splat(kScale);
        for (int jg = 0; jg < lanes; jg += w)
        {
            for (int d0 = 0; d0 < p.E; d0 += w)
            {
                for (int r = 0; r < w; r++)
                    rows[r] = jg + r < jn ? TW.Load(a->K.Row(b, g, j0 + jg + r) + d0) : TW.Zero;
                for (int r = 0; r < w; r++) TW.Store(rows[r], kp + (jg + r) * p.E + d0);
                for (int r = 0; r < w; r++) rows[r] = TW.Mul(rows[r], ks);
                TW.Transpose(rows, rows + w);
                for (int x = 0; x < w; x++) TW.Store(rows[w + x], kt + (d0 + x) * bk + jg);
            }
            for (int e0 = 0; e0 < p.Ev; e0 += w)
            {
                for (int r = 0; r < w; r++)
                    rows[r] = jg + r < jn ? TW.Load(a->V.Row(b, g, j0 + jg + r) + e0) : TW.Zero;
                TW.Transpose(rows, rows + w);
                for (int x = 0; x < w; x++) TW.Store(rows[w + x], vt + (e0 + x) * bk + jg);
            }
        }
    }

    /// <summary>Rows j0 … j0 + jn − 1 of <paramref name="dst"/> (kv head (b, g)) = scale · columns of the transposed
    /// accumulator <paramref name="acc"/> (width rows of a block of lanes), by W×W transposes.</summary>
    static void UnpackBlock<TV, TW>(StridedRows dst, int b, int g, int j0, int jn, int lanes, int width, float* acc, float scale)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int w = TW.Count, bk = 4 * w;
        var rows = stackalloc TV[2 * w];
        var sc = TW.Splat(scale);
        for (int jg = 0; jg < lanes; jg += w)
            for (int d0 = 0; d0 < width; d0 += w)
            {
                for (int x = 0; x < w; x++) rows[x] = TW.Load(acc + (d0 + x) * bk + jg);
                TW.Transpose(rows, rows + w);
                for (int r = 0; r < w && jg + r < jn; r++) TW.Store(TW.Mul(rows[w + r], sc), dst.Row(b, g, j0 + jg + r) + d0);
            }
    }

    /// <summary>Keys [jBegin, jEnd) of kv head (b, g): their dK and dV, and their share of dQ added into dqRows.</summary>
    static void KvHead<TV, TW>(FlashArgs* a, float* ws, int b, int g, int jBegin, int jEnd, StridedRows dqRows)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        ref readonly var p = ref a->P;
        const int MR = TileMath.MR;
        int w = TW.Count, bk = 4 * w;
        int ePad = RoundUp(p.E, MR), evPad = RoundUp(p.Ev, MR), eLanes = RoundUp(p.E, w);
        float* kt = ws;                          // (ePad, bk)  Kᵀ·scale·log2 e
        float* vt = kt + ePad * bk;              // (evPad, bk) Vᵀ
        float* dkt = vt + evPad * bk;            // (ePad, bk)  Σ Qᵀ·dS
        float* dvt = dkt + ePad * bk;            // (evPad, bk) Σ dOᵀ·P̃
        float* kp = dvt + evPad * bk;            // (bk, eLanes) K rows padded to whole vectors
        float* pTile = kp + bk * eLanes;         // (Bq + MR, bk) P̃
        float* dsTile = pTile + (Bq + MR) * bk;  // (Bq + MR, bk) dP, then dS
        float* dqAcc = dsTile + (Bq + MR) * bk;  // (Group, L, eLanes) when dQ rows are not whole vectors
        bool dqInPlace = p.E % w == 0;
        if (!dqInPlace) new Span<float>(dqAcc, p.Group * p.L * eLanes).Clear();
        float kScale = (float)(p.Scale * FlashArgs.Log2E);
        int len = a->KeyLength(b);
        // Head dims of whole vectors: the block is packed and written back by W×W in-register transposes.
        bool whole = p.E % w == 0 && p.Ev % w == 0;

        for (int j0 = jBegin; j0 < jEnd; j0 += bk)
        {
            int jn = Math.Min(bk, jEnd - j0);
            if (j0 >= len)
            {
                // a. Keys past the length get no gradient.
                for (int jj = 0; jj < jn; jj++)
                {
                    new Span<float>(a->DK.Row(b, g, j0 + jj), p.E).Clear();
                    new Span<float>(a->DV.Row(b, g, j0 + jj), p.Ev).Clear();
                }
                continue;
            }

            // b. Pack the block: Kᵀ (scaled), Vᵀ, K rows padded to eLanes; lanes past the block are 0. Only the
            //    vectors holding keys are packed and multiplied (a block of 12 keys at 512 bits is one vector, not four).
            int lanes = RoundUp(jn, w);
            if (whole) PackBlock<TV, TW>(a, b, g, j0, jn, lanes, kScale, kt, vt, kp);
            else
                for (int jj = 0; jj < lanes; jj++)
                {
                    float* k = jj < jn ? a->K.Row(b, g, j0 + jj) : null, v = jj < jn ? a->V.Row(b, g, j0 + jj) : null;
                    for (int d = 0; d < p.E; d++) kt[d * bk + jj] = k == null ? 0 : k[d] * kScale;
                    for (int e = 0; e < p.Ev; e++) vt[e * bk + jj] = v == null ? 0 : v[e];
                    for (int d = 0; d < eLanes; d++) kp[jj * eLanes + d] = k != null && d < p.E ? k[d] : 0;
                }
            // Only the block's lanes are accumulated (and read back): short blocks clear a quarter of the rows.
            for (int d = 0; d < ePad; d++) new Span<float>(dkt + d * bk, lanes).Clear();
            for (int e = 0; e < evPad; e++) new Span<float>(dvt + e * bk, lanes).Clear();

            for (int h = g * p.Group; h < (g + 1) * p.Group; h++)
            {
                // c. Query rows that see any key of the block: causal rows before j0 − offset see none.
                int iStart = p.Causal ? (int)Math.Clamp((long)j0 - p.CausalOffset, 0, p.L) : 0;
                float* acc = dqAcc + (long)(h - g * p.Group) * p.L * eLanes;
                for (int i0 = iStart; i0 < p.L; i0 += Bq)
                {
                    int rows = Math.Min(Bq, p.L - i0);
                    float* dq = dqInPlace ? dqRows.Row(b, h, i0) : acc + (long)i0 * eLanes;
                    long ldq = dqInPlace ? dqRows.SL : eLanes;
                    switch (lanes / w)
                    {
                        case 1: QueryTile<TV, TW, Vec1>(a, b, h, i0, rows, j0, jn, len, kt, vt, dkt, dvt, kp, eLanes, pTile, dsTile, dq, ldq); break;
                        case 2: QueryTile<TV, TW, Vec2>(a, b, h, i0, rows, j0, jn, len, kt, vt, dkt, dvt, kp, eLanes, pTile, dsTile, dq, ldq); break;
                        case 3: QueryTile<TV, TW, Vec3>(a, b, h, i0, rows, j0, jn, len, kt, vt, dkt, dvt, kp, eLanes, pTile, dsTile, dq, ldq); break;
                        default: QueryTile<TV, TW, Vec4>(a, b, h, i0, rows, j0, jn, len, kt, vt, dkt, dvt, kp, eLanes, pTile, dsTile, dq, ldq); break;
                    }
                }
            }

            // d. Write the block's dK = scale·Σ Qᵀ·dS and dV, transposed back.
            float scale = (float)p.Scale;
            if (whole)
            {
                UnpackBlock<TV, TW>(a->DK, b, g, j0, jn, lanes, p.E, dkt, scale);
                UnpackBlock<TV, TW>(a->DV, b, g, j0, jn, lanes, p.Ev, dvt, 1);
            }
            else
                for (int jj = 0; jj < jn; jj++)
                {
                    float* dk = a->DK.Row(b, g, j0 + jj), dv = a->DV.Row(b, g, j0 + jj);
                    for (int d = 0; d < p.E; d++) dk[d] = dkt[d * bk + jj] * scale;
                    for (int e = 0; e < p.Ev; e++) dv[e] = dvt[e * bk + jj];
                }
        }

        // e. Padded dQ rows go to the range's dQ rows (unscaled; the finishing pass scales).
        if (dqInPlace) return;
        for (int h = g * p.Group; h < (g + 1) * p.Group; h++)
            for (int i = 0; i < p.L; i++)
            {
                float* dq = dqRows.Row(b, h, i), acc = dqAcc + ((long)(h - g * p.Group) * p.L + i) * eLanes;
                for (int d = 0; d < p.E; d++) dq[d] = acc[d];
            }
    }

    /// <summary>One tile of query rows against the packed key block; the S, dP, dVᵀ and dKᵀ products span the
    /// block's first TN vectors of key lanes (lanes past them are never read, so whatever Probabilities leaves there
    /// is unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void QueryTile<TV, TW, TN>(FlashArgs* a, int b, int h, int i0, int rows, int j0, int jn, int len, float* kt, float* vt,
        float* dkt, float* dvt, float* kp, int eLanes, float* pTile, float* dsTile, float* dq0, long ldq)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        const int MR = TileMath.MR;
        int w = TW.Count, bk = 4 * w;
        float* q0 = a->Q.Row(b, h, i0), dO0 = a->DO.Row(b, h, i0);

        // 6. S = Q·Kᵀ (log2 units) and dP = dO·Vᵀ, 6 query rows per micro-kernel call.
        for (int r0 = 0; r0 < rows; r0 += MR)
        {
            int n = Math.Min(MR, rows - r0);
            TileMath.Mma<TV, TW, TN>(pTile + r0 * bk, bk, n, Rows6.Strided(q0 + r0 * a->Q.SL, a->Q.SL, rows - r0), 1, kt, bk, p.E);
            TileMath.Mma<TV, TW, TN>(dsTile + r0 * bk, bk, n, Rows6.Strided(dO0 + r0 * a->DO.SL, a->DO.SL, rows - r0), 1, vt, bk, p.Ev);
        }

        // 7. P = 2^(S + mask − lse·log2 e), P̃ = P∘dropout, dS = P∘(dP∘dropout − D).
        Probabilities<TV, TW>(a, b, h, i0, rows, j0, jn, len, pTile, dsTile);

        // 8. dVᵀ += dOᵀ·P̃ and dKᵀ += Qᵀ·dS: sums over the tile's query rows, 6 value/key columns per call.
        for (int e0 = 0; e0 < p.Ev; e0 += MR)
            TileMath.Mma<TV, TW, TN>(dvt + e0 * bk, bk, Math.Min(MR, p.Ev - e0), Rows6.Strided(dO0 + e0, 1, p.Ev - e0), a->DO.SL, pTile, bk, rows, accumulate: true);
        for (int d0 = 0; d0 < p.E; d0 += MR)
            TileMath.Mma<TV, TW, TN>(dkt + d0 * bk, bk, Math.Min(MR, p.E - d0), Rows6.Strided(q0 + d0, 1, p.E - d0), a->Q.SL, dsTile, bk, rows, accumulate: true);

        // 9. dQ += dS·K with the head dim in lanes: in place when E is whole vectors, else in the padded accumulator.
        for (int r0 = 0; r0 < rows; r0 += MR)
        {
            var ds = Rows6.Strided(dsTile + r0 * bk, bk, rows - r0);
            int n = Math.Min(MR, rows - r0);
            for (int c0 = 0; c0 < eLanes; c0 += 4 * w)
            {
                float* c = dq0 + r0 * ldq + c0;
                switch (Math.Min(4, (eLanes - c0) / w))
                {
                    case 4: TileMath.Mma<TV, TW, Vec4>(c, ldq, n, ds, 1, kp + c0, eLanes, jn, accumulate: true); break;
                    case 3: TileMath.Mma<TV, TW, Vec3>(c, ldq, n, ds, 1, kp + c0, eLanes, jn, accumulate: true); break;
                    case 2: TileMath.Mma<TV, TW, Vec2>(c, ldq, n, ds, 1, kp + c0, eLanes, jn, accumulate: true); break;
                    default: TileMath.Mma<TV, TW, Vec1>(c, ldq, n, ds, 1, kp + c0, eLanes, jn, accumulate: true); break;
                }
            }
        }
    }

    /// <summary>Turns the S and dP tiles into P̃ and dS in place, masking keys the rows cannot see.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Probabilities<TV, TW>(FlashArgs* a, int b, int h, int i0, int rows, int j0, int jn, int len, float* pTile, float* dsTile)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        ref readonly var p = ref a->P;
        int w = TW.Count, bk = 4 * w;
        var ninf = TW.Splat(float.NegativeInfinity);
        var iota = TW.Indices;
        int bh = b * p.H + h;
        bool dropout = p.HasDropout;
        uint threshold = dropout ? AttentionDropout.Threshold(p.DropoutP) : 0, headKey = dropout ? AttentionDropout.HeadKey(p.Seed, bh) : 0;
        var dropScale = TW.Splat((float)p.DropoutScale);
        var ms = a->MaskStrides;
        bool masked = a->MaskKind != AttentionMaskKind.None;
        for (int r = 0; r < rows; r++)
        {
            int i = i0 + r;
            float* s = pTile + r * bk, dp = dsTile + r * bk;
            var lse = TW.Splat(a->Lse[(long)bh * p.L + i] * FlashArgs.Log2E);
            var delta = TW.Splat(a->Delta[(long)bh * p.L + i]);
            // Keys [0, visible) of this row (lanes counted from j0); the rest of the block is blocked.
            int visibleKeys = Math.Min(len, p.CausalEnd(i)) - j0;
            var visible = TW.Splat((float)visibleKeys);
            long maskAt = b * ms.B + h * ms.H + i * ms.L + j0 * ms.S;
            var x0 = TW.Load(s);
            var x1 = TW.Load(s + w);
            var x2 = TW.Load(s + 2 * w);
            var x3 = TW.Load(s + 3 * w);
            if (masked)
            {
                x0 = TW.Add(x0, MaskVector<TV, TW>(a, maskAt, ms.S, jn));
                x1 = TW.Add(x1, MaskVector<TV, TW>(a, maskAt + w * ms.S, ms.S, jn - w));
                x2 = TW.Add(x2, MaskVector<TV, TW>(a, maskAt + 2 * w * ms.S, ms.S, jn - 2 * w));
                x3 = TW.Add(x3, MaskVector<TV, TW>(a, maskAt + 3 * w * ms.S, ms.S, jn - 3 * w));
            }
            if (visibleKeys < bk)
            {
                x0 = TW.Select(TW.LessThan(iota, visible), x0, ninf);
                x1 = TW.Select(TW.LessThan(TW.Add(iota, TW.Splat(w)), visible), x1, ninf);
                x2 = TW.Select(TW.LessThan(TW.Add(iota, TW.Splat(2 * w)), visible), x2, ninf);
                x3 = TW.Select(TW.LessThan(TW.Add(iota, TW.Splat(3 * w)), visible), x3, ninf);
            }
            (x0, x1, x2, x3) = (TW.Sub(x0, lse), TW.Sub(x1, lse), TW.Sub(x2, lse), TW.Sub(x3, lse));
            TileMath.Exp2<TV, TW, Vec4>(ref x0, ref x1, ref x2, ref x3);
            var rowKey = TW.SplatBits(dropout ? AttentionDropout.RowKey(headKey, i) : 0u);
            for (int n = 0; n < 4; n++)
            {
                var prob = n == 0 ? x0 : n == 1 ? x1 : n == 2 ? x2 : x3;
                var dP = TW.Load(dp + w * n);
                if (dropout)
                {
                    var keep = TW.KeepMask(rowKey, TW.IndexBits((uint)(j0 + w * n)), threshold);
                    dP = TW.And(TW.Mul(dP, dropScale), keep);
                    TW.Store(TW.And(TW.Mul(prob, dropScale), keep), s + w * n);
                }
                else TW.Store(prob, s + w * n);
                TW.Store(TW.Mul(prob, TW.Sub(dP, delta)), dp + w * n);
            }
        }
    }

    /// <summary>W mask values (log2 units) of keys at offset, offset + step, … for the first `count` lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TV MaskVector<TV, TW>(FlashArgs* a, long offset, long step, int count) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int w = TW.Count;
        if (count <= 0) return TW.Zero;
        if (step == 1 && count >= w)
            return a->MaskKind == AttentionMaskKind.Additive
                ? TW.Mul(TW.Load((float*)a->Mask + offset), TW.Splat(FlashArgs.Log2E))
                : TW.BoolBias((bool*)a->Mask + offset);
        var buffer = stackalloc float[16];
        for (int k = 0; k < w; k++) buffer[k] = k < count ? a->MaskBias(offset + k * step) : 0f;
        return TW.Load(buffer);
    }
}
