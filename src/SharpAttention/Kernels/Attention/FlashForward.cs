using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Attention;

/// <summary>
/// Flash-attention forward (Dao et al. 2022, algorithm 1, with FlashAttention-2's single final normalisation): for a
/// tile of query rows, stream key blocks, keep a running max m and sum l per row, rescale the output
/// accumulator by 2^(m_old − m_new) when the max grows, and divide by l once at the end. Only O and one logsumexp
/// per row are written; workspace is O(tile), never O(L·S).
/// <para>Layout: the tile is held transposed — scores Sᵀ[j, i] and output Oᵀ[e, i] with the query rows i in SIMD
/// lanes — so the per-row softmax statistics are plain lane-wise vector ops (no horizontal reductions), Q is packed
/// once per tile (transposed, pre-scaled by scale·log2 e so the softmax uses exp2), and K and V are read in place:
/// Sᵀ = K·Qᵀ broadcasts K's elements, Oᵀ += Vᵀ·Pᵀ broadcasts V's. Causal tiles stop at their last row's diagonal
/// (later key blocks are never touched); key blocks past a batch row's key length are skipped the same way.</para>
/// <para>Parallel over (batch, head, group of up to 4 query tiles): a group runs each K/V block against all its tiles
/// while the block is in L1/L2, so K and V stream from memory once per 256 query rows rather than per tile. Items
/// write disjoint rows, so results do not depend on the thread count.</para>
/// <para>Widths: one source for 512, 256 and 128 bits (<see cref="ITileWidth{TV}"/>), chosen per call by
/// <see cref="TileWidthSelect.Current"/>. A tile is 1 to 4 vectors of query rows (up to 64 rows at 512 bits, 32 at 256,
/// 16 at 128); the key block stays 96 at every width, and each lane's arithmetic is the same sequence at every width,
/// so O and lse are bit-identical across widths whose FMA is fused.</para>
/// </summary>
internal static unsafe class FlashForward
{
    /// <summary>Keys per block: a multiple of the micro-kernel's 6 rows and of the 16-key mask transposes (96 measured best
    /// of 48/72/96 at D = 64).</summary>
    public const int Bc = 96;

    [ThreadStatic] static float[]? workspace;

    /// <summary>Writes O and lse; a few query rows without dropout take <see cref="DecodeAttention"/> instead.</summary>
    public static void Run(in FlashArgs args)
    {
        var p = args.P;
        if (p.B == 0 || p.H == 0 || p.L == 0 || p.Ev == 0) return;
        if (DecodeAttention.Applies(p))
        {
            DecodeAttention.Run(args);
            return;
        }
        fixed (FlashArgs* a = &args)
        {
            // The width is chosen here, on the caller's thread; the workers run the instantiation it picks.
            switch (TileWidthSelect.Current)
            {
                case 512: Launch<Vector512<float>, W512>(a); break;
                case 256: Launch<Vector256<float>, W256>(a); break;
                default: Launch<Vector128<float>, W128>(a); break;
            }
        }
    }

    /// <summary>Tiles of 1 to 4 vectors of query rows: the fewest that hold L rows (16 to 64 rows at 512 bits, 8 to 32
    /// at 256, 4 to 16 at 128).</summary>
    static void Launch<TV, TW>(FlashArgs* a) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int l = a->P.L, w = TW.Count;
        if (l <= w) Launch<TV, TW, Vec1>(a);
        else if (l <= 2 * w) Launch<TV, TW, Vec2>(a);
        else if (l <= 3 * w) Launch<TV, TW, Vec3>(a);
        else Launch<TV, TW, Vec4>(a);
    }

    /// <summary>Most query tiles one item runs against each K/V block while it is in cache.</summary>
    const int MaxGroup = 4;

    /// <summary>Floats of per-thread workspace for a group of tiles of <paramref name="lanes"/> query rows.</summary>
    public static long WorkspaceFloats(in AttentionProblem p, int lanes) =>
        MaxGroup * PerTileFloats(p, lanes) + (long)lanes * (Bc + TileMath.MR + 1) + 16;

    static long PerTileFloats(in AttentionProblem p, int lanes) => (long)lanes * (p.E + RoundUp(p.Ev, TileMath.MR) + 4);

    static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    static void Launch<TV, TW, TN>(FlashArgs* a) where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        int br = TN.N * TW.Count, tiles = (p.L + br - 1) / br;
        // Groups of query tiles share each K/V block while it is in L1/L2 (K and V of a long head do not fit in
        // L2); smaller groups when there would be too few items (16 per thread) to even out the threads' finishing
        // times, which on a shared machine differ by whole scheduler slices.
        int group = MaxGroup;
        while (group > 1 && (long)(tiles + group - 1) / group * p.B * p.H < 16L * Threads.Count) group /= 2;
        int groups = (tiles + group - 1) / group;
        int count = groups * p.B * p.H;
        long cost = (long)group * br * p.S * (p.E + p.Ev);
        var body = new Body<TV, TW, TN>(a, tiles, group);
        // Handed out one at a time: causal group costs grow along the diagonal, and on a shared machine a thread that
        // is descheduled for a while must not leave the other waiting on a fixed share.
        ParallelFor.ForDynamic(count, 1, p.Causal ? cost / 2 : cost, body);
    }

    /// <summary>Item t: tile group (groups − 1 − t / (B·H)) of head t mod (B·H), so the costliest causal groups go first.</summary>
    readonly struct Body<TV, TW, TN>(FlashArgs* a, int tiles, int group) : IRangeBody
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        public void Run(int start, int end)
        {
            int heads = a->P.B * a->P.H, groups = (tiles + group - 1) / group;
            float* ws = TileMath.Aligned(ref workspace, WorkspaceFloats(a->P, TN.N * TW.Count));
            for (int t = start; t < end; t++)
            {
                int bh = t % heads, first = (groups - 1 - t / heads) * group;
                Group<TV, TW, TN>(a, ws, bh / a->P.H, bh % a->P.H, first, Math.Min(group, tiles - first));
            }
        }
    }

    /// <summary>One query tile's state inside a group.</summary>
    struct TileState
    {
        public float* Qt;        // (E, br)   Qᵀ·scale·log2 e
        public float* Ot;        // (evPad, br) unnormalised Oᵀ
        public float* M;         // (br) running max (log2 units)
        public float* L;         // (br) running sum
        public float* Alpha;     // (br) rescale of the current block
        public uint* RowKeys;    // (br) dropout row keys
        public int I0, Rows, KEnd, KFree;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Group<TV, TW, TN>(FlashArgs* a, float* ws, int b, int h, int firstTile, int count)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        const int MR = TileMath.MR;
        int br = TN.N * TW.Count, kvh = h / p.Group, evPad = RoundUp(p.Ev, MR), len = a->KeyLength(b);
        long per = PerTileFloats(p, br);
        float* st = ws + MaxGroup * per;         // (Bc + MR, br) Sᵀ, then Pᵀ, shared by the group's tiles
        float* bias = st + (Bc + MR) * br;       // (br) mask values of one key
        var tiles = stackalloc TileState[MaxGroup];
        float qScale = (float)(p.Scale * FlashArgs.Log2E);
        int kEndAll = 0;
        for (int k = 0; k < count; k++)
        {
            ref var t = ref tiles[k];
            t.Qt = ws + k * per;
            t.Ot = t.Qt + p.E * br;
            t.M = t.Ot + evPad * br;
            t.L = t.M + br;
            t.Alpha = t.L + br;
            t.RowKeys = (uint*)(t.Alpha + br);
            t.I0 = (firstTile + k) * br;
            t.Rows = Math.Min(br, p.L - t.I0);

            // 1. Qᵀ tile, scaled so that scores come out in log2 units; lanes past the last row are 0.
            PackQ<TV, TW>(a, t.Qt, br, b, h, t.I0, t.Rows, qScale);

            // 2. Keys the tile needs: [0, KEnd) — past the key length and (causal) past the last row's diagonal
            //    nothing is visible; keys below KFree are visible to every row, so they need no causal masking.
            t.KEnd = Math.Min(len, p.CausalEnd(t.I0 + t.Rows - 1));
            t.KFree = Math.Min(len, p.CausalEnd(t.I0));
            kEndAll = Math.Max(kEndAll, t.KEnd);

            // 3. Empty accumulators.
            for (int n = 0; n < TN.N; n++)
            {
                TW.Store(TW.Splat(float.NegativeInfinity), t.M + TW.Count * n);
                TW.Store(TW.Zero, t.L + TW.Count * n);
            }
            new Span<float>(t.Ot, evPad * br).Clear();
            if (p.HasDropout)
            {
                uint headKey = AttentionDropout.HeadKey(p.Seed, b * p.H + h);
                for (int lane = 0; lane < br; lane++) t.RowKeys[lane] = AttentionDropout.RowKey(headKey, t.I0 + lane);
            }
        }

        float* kRow0 = a->K.Row(b, kvh, 0), vRow0 = a->V.Row(b, kvh, 0);
        for (int j0 = 0; j0 < kEndAll; j0 += Bc)
            for (int k = 0; k < count; k++)
            {
                ref var t = ref tiles[k];
                if (j0 >= t.KEnd) continue;
                int jn = Math.Min(Bc, t.KEnd - j0);

                // 4. Sᵀ[j, i] = K[j]·Qᵀ[:, i] for the block's keys, 6 keys per micro-kernel call.
                for (int r0 = 0; r0 < jn; r0 += MR)
                    TileMath.Mma<TV, TW, TN>(st + r0 * br, br, Math.Min(MR, jn - r0),
                                     Rows6.Strided(kRow0 + (j0 + r0) * a->K.SL, a->K.SL, jn - r0), 1, t.Qt, br, p.E);

                // 5. Masks: causal inside the diagonal block, then the explicit mask (−∞ or added bias, log2 units).
                if (a->MaskKind != AttentionMaskKind.None || j0 + jn > t.KFree)
                    ApplyMasks<TV, TW, TN>(a, st, bias, b, h, t.I0, t.Rows, j0, jn);

                // 6. Online softmax: new max, rescale factor, probabilities (dropout applied after they are summed).
                if (p.HasDropout) Softmax<TV, TW, TN, WithDropout>(st, br, t.M, t.L, t.Alpha, t.RowKeys, j0, jn, p);
                else Softmax<TV, TW, TN, NoDropout>(st, br, t.M, t.L, t.Alpha, t.RowKeys, j0, jn, p);

                // 7. Oᵀ = Oᵀ∘alpha + Vᵀ·Pᵀ, 6 value columns per micro-kernel call.
                for (int e0 = 0; e0 < p.Ev; e0 += MR)
                    TileMath.Mma<TV, TW, TN>(t.Ot + e0 * br, br, Math.Min(MR, p.Ev - e0), Rows6.Strided(vRow0 + j0 * a->V.SL + e0, 1, p.Ev - e0),
                                     a->V.SL, st, br, jn, t.Alpha);
            }

        // 8. O = Oᵀ / l, transposed back; lse = (m + log2 l)·ln 2. A row that saw no key (l = 0) gets O = 0, lse = +∞.
        for (int k = 0; k < count; k++)
        {
            ref var t = ref tiles[k];
            float* lse = a->Lse + ((long)b * p.H + h) * p.L + t.I0;
            for (int lane = 0; lane < t.Rows; lane++)
            {
                float sum = t.L[lane];
                t.L[lane] = sum > 0 ? 1f / sum : 0f;   // now the factor each output row is scaled by
                lse[lane] = sum > 0 ? (t.M[lane] + MathF.Log2(sum)) * FlashArgs.Ln2 : float.PositiveInfinity;
            }
            UnpackO<TV, TW>(a, t.Ot, t.L, br, b, h, t.I0, t.Rows);
        }
    }

    /// <summary>Qᵀ[d, lane] = Q[i0 + lane, d]·scale for lanes &lt; rows, 0 beyond: W×W blocks transposed in
    /// registers (a block past the last row reads zeros for the missing rows), element by element for head-dim tails.</summary>
    static void PackQ<TV, TW>(FlashArgs* a, float* qt, int br, int b, int h, int i0, int rows, float scale)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int w = TW.Count, e = a->P.E, dFull = e / w * w;
        var block = stackalloc TV[2 * w];
        var sc = TW.Splat(scale);
        for (int lane0 = 0; lane0 < br; lane0 += w)
            for (int d0 = 0; d0 < dFull; d0 += w)
            {
                for (int k = 0; k < w; k++)
                    block[k] = lane0 + k < rows ? TW.Mul(TW.Load(a->Q.Row(b, h, i0 + lane0 + k) + d0), sc) : TW.Zero;
                TW.Transpose(block, block + w);
                for (int k = 0; k < w; k++) TW.Store(block[w + k], qt + (d0 + k) * br + lane0);
            }
        for (int lane = 0; lane < br; lane++)
        {
            float* q = lane < rows ? a->Q.Row(b, h, i0 + lane) : null;
            for (int d = dFull; d < e; d++) qt[d * br + lane] = q == null ? 0f : q[d] * scale;
        }
    }

    /// <summary>O[i0 + lane, e] = Oᵀ[e, lane]·factor[lane] for lanes &lt; rows, transposed like <see cref="PackQ"/>.</summary>
    static void UnpackO<TV, TW>(FlashArgs* a, float* ot, float* factor, int br, int b, int h, int i0, int rows)
        where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        int w = TW.Count, ev = a->P.Ev, eFull = ev / w * w;
        var block = stackalloc TV[2 * w];
        for (int lane0 = 0; lane0 < rows; lane0 += w)
            for (int e0 = 0; e0 < eFull; e0 += w)
            {
                for (int k = 0; k < w; k++) block[k] = TW.Load(ot + (e0 + k) * br + lane0);
                TW.Transpose(block, block + w);
                for (int k = 0; k < Math.Min(w, rows - lane0); k++)
                    TW.Store(TW.Mul(block[w + k], TW.Splat(factor[lane0 + k])), a->O.Row(b, h, i0 + lane0 + k) + e0);
            }
        for (int lane = 0; lane < rows; lane++)
        {
            float* o = a->O.Row(b, h, i0 + lane);
            for (int e = eFull; e < ev; e++) o[e] = ot[e * br + lane] * factor[lane];
        }
    }

    /// <summary>Adds the causal −∞ and the explicit mask to the block's scores Sᵀ (jn keys × W·N lanes).</summary>
    static void ApplyMasks<TV, TW, TN>(FlashArgs* a, float* st, float* bias, int b, int h, int i0, int rows, int j0, int jn)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        int w = TW.Count, br = TN.N * w;
        var ninf = TW.Splat(float.NegativeInfinity);
        var iota = TW.Indices;
        var ms = a->MaskStrides;
        long maskRow = b * ms.B + h * ms.H + i0 * ms.L;
        // a. Causal: lane i sees key j iff j ≤ i0 + lane + offset, i.e. lane ≥ j − i0 − offset.
        for (int jj = 0; p.Causal && jj < jn; jj++)
        {
            float* s = st + jj * br;
            var first = TW.Splat((float)((long)j0 + jj - i0 - p.CausalOffset));
            for (int n = 0; n < TN.N; n++)
            {
                var blocked = TW.LessThan(TW.Add(iota, TW.Splat(w * n)), first);
                TW.Store(TW.Select(blocked, ninf, TW.Load(s + w * n)), s + w * n);
            }
        }
        if (a->MaskKind == AttentionMaskKind.None) return;

        // b. A mask constant along the query rows (key padding, (B, 1, 1, S)): one value per key.
        if (ms.L == 0)
        {
            for (int jj = 0; jj < jn; jj++)
            {
                var v = TW.Splat(a->MaskBias(maskRow + (j0 + jj) * ms.S));
                for (int n = 0; n < TN.N; n++) TW.Store(TW.Add(TW.Load(st + jj * br + w * n), v), st + jj * br + w * n);
            }
            return;
        }

        // c. A mask varying along the rows: W rows × W keys at a time, read along the keys (the mask's contiguous
        //    dim) and transposed in registers, so every cache line of the mask is read once.
        int jFull = ms.S == 1 ? jn / w * w : 0;
        var block = stackalloc TV[w];
        for (int lane0 = 0; lane0 < br && jFull > 0; lane0 += w)
            for (int jj0 = 0; jj0 < jFull; jj0 += w)
            {
                for (int k = 0; k < w; k++)
                {
                    long at = maskRow + Math.Min(lane0 + k, rows - 1) * ms.L + j0 + jj0;   // lanes past the last row repeat it
                    block[k] = a->MaskKind == AttentionMaskKind.Additive
                        ? TW.Mul(TW.Load((float*)a->Mask + at), TW.Splat(FlashArgs.Log2E))
                        : TW.BoolBias((bool*)a->Mask + at);
                }
                TileMath.AddTransposed<TV, TW>(block, st + jj0 * br + lane0, br);
            }
        for (int jj = jFull; jj < jn; jj++)
        {
            long at = maskRow + (j0 + jj) * ms.S;
            for (int lane = 0; lane < br; lane++) bias[lane] = lane < rows ? a->MaskBias(at + lane * ms.L) : 0f;
            for (int n = 0; n < TN.N; n++) TW.Store(TW.Add(TW.Load(st + jj * br + w * n), TW.Load(bias + w * n)), st + jj * br + w * n);
        }
    }

    /// <summary>One block of the online softmax on Sᵀ (rows br floats apart), in lane groups that fit the registers:
    /// all TN vectors at once with 32 registers, two at a time with 16 (lanes are independent rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Softmax<TV, TW, TN, TD>(float* st, int br, float* m, float* l, float* alpha, uint* rowKeys, int j0, int jn, in AttentionProblem p)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount where TD : struct, IDropoutMode
    {
        if (TN.N <= TW.PassVectors)
        {
            SoftmaxLanes<TV, TW, TN, TD>(st, br, m, l, alpha, rowKeys, j0, jn, p);
            return;
        }
        int x = 2 * TW.Count;
        SoftmaxLanes<TV, TW, Vec2, TD>(st, br, m, l, alpha, rowKeys, j0, jn, p);
        if (TN.N == 3) SoftmaxLanes<TV, TW, Vec1, TD>(st + x, br, m + x, l + x, alpha + x, rowKeys + x, j0, jn, p);
        else SoftmaxLanes<TV, TW, Vec2, TD>(st + x, br, m + x, l + x, alpha + x, rowKeys + x, j0, jn, p);
    }

    /// <summary>The online softmax of TN lane vectors of Sᵀ (log2 units), in place to Pᵀ; updates m, l and alpha. The
    /// up to 4 lane vectors of a key row go through max and exp2 side by side, so the exp2 polynomial chains overlap.
    /// Too large to inline, so fully optimised from its first call rather than tiered up after many slow ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SoftmaxLanes<TV, TW, TN, TD>(float* st, int br, float* m, float* l, float* alpha, uint* rowKeys, int j0, int jn, in AttentionProblem p)
        where TV : unmanaged where TW : struct, ITileWidth<TV> where TN : struct, IVecCount where TD : struct, IDropoutMode
    {
        int w = TW.Count;
        var ninf = TW.Splat(float.NegativeInfinity);
        var zero = TW.Zero;

        // a. New running max (MaxNative is one vmaxps; a NaN score makes its row NaN either way).
        var o0 = TW.Load(m);
        var o1 = TN.N > 1 ? TW.Load(m + w) : zero;
        var o2 = TN.N > 2 ? TW.Load(m + 2 * w) : zero;
        var o3 = TN.N > 3 ? TW.Load(m + 3 * w) : zero;
        var (n0, n1, n2, n3) = (o0, o1, o2, o3);
        for (int jj = 0; jj < jn; jj++)
        {
            float* s = st + jj * br;
            n0 = TW.MaxNative(n0, TW.Load(s));
            if (TN.N > 1) n1 = TW.MaxNative(n1, TW.Load(s + w));
            if (TN.N > 2) n2 = TW.MaxNative(n2, TW.Load(s + 2 * w));
            if (TN.N > 3) n3 = TW.MaxNative(n3, TW.Load(s + 3 * w));
        }

        // b. A row with nothing visible yet keeps m = −∞; subtracting 0 instead gives exp2(−∞) = 0, never NaN.
        var u0 = TW.Select(TW.Equal(n0, ninf), zero, n0);
        var u1 = TW.Select(TW.Equal(n1, ninf), zero, n1);
        var u2 = TW.Select(TW.Equal(n2, ninf), zero, n2);
        var u3 = TW.Select(TW.Equal(n3, ninf), zero, n3);
        var (a0, a1, a2, a3) = (TW.Sub(o0, u0), TW.Sub(o1, u1), TW.Sub(o2, u2), TW.Sub(o3, u3));
        TileMath.Exp2<TV, TW, TN>(ref a0, ref a1, ref a2, ref a3);

        // c. P = 2^(S − m); the sums take P before dropout, the stored Pᵀ is dropped and scaled.
        bool dropout = TD.On;   // a constant per instantiation: the loop without dropout keeps its values in registers
        uint threshold = dropout ? AttentionDropout.Threshold(p.DropoutP) : 0;
        var dropScale = TW.Splat((float)p.DropoutScale);
        var (s0, s1, s2, s3) = (zero, zero, zero, zero);
        for (int jj = 0; jj < jn; jj++)
        {
            float* s = st + jj * br;
            var e0 = TW.Sub(TW.Load(s), u0);
            var e1 = TN.N > 1 ? TW.Sub(TW.Load(s + w), u1) : zero;
            var e2 = TN.N > 2 ? TW.Sub(TW.Load(s + 2 * w), u2) : zero;
            var e3 = TN.N > 3 ? TW.Sub(TW.Load(s + 3 * w), u3) : zero;
            TileMath.Exp2<TV, TW, TN>(ref e0, ref e1, ref e2, ref e3);
            s0 = TW.Add(s0, e0);
            if (TN.N > 1) s1 = TW.Add(s1, e1);
            if (TN.N > 2) s2 = TW.Add(s2, e2);
            if (TN.N > 3) s3 = TW.Add(s3, e3);
            if (dropout)
            {
                var j = TW.SplatBits((uint)(j0 + jj));
                for (int n = 0; n < TN.N; n++)
                {
                    var e = n == 0 ? e0 : n == 1 ? e1 : n == 2 ? e2 : e3;
                    var keep = TW.KeepMask(TW.Load((float*)rowKeys + w * n), j, threshold);
                    TW.Store(TW.And(TW.Mul(e, dropScale), keep), s + w * n);
                }
                continue;
            }
            TW.Store(e0, s);
            if (TN.N > 1) TW.Store(e1, s + w);
            if (TN.N > 2) TW.Store(e2, s + 2 * w);
            if (TN.N > 3) TW.Store(e3, s + 3 * w);
        }

        // d. l = l·alpha + Σ P; keep the new max and this block's alpha for the Oᵀ update.
        Update<TV, TW>(l, m, alpha, s0, a0, n0);
        if (TN.N > 1) Update<TV, TW>(l + w, m + w, alpha + w, s1, a1, n1);
        if (TN.N > 2) Update<TV, TW>(l + 2 * w, m + 2 * w, alpha + 2 * w, s2, a2, n2);
        if (TN.N > 3) Update<TV, TW>(l + 3 * w, m + 3 * w, alpha + 3 * w, s3, a3, n3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Update<TV, TW>(float* l, float* m, float* alpha, TV sum, TV al, TV max) where TV : unmanaged where TW : struct, ITileWidth<TV>
    {
        TW.Store(TW.Fma(TW.Load(l), al, sum), l);
        TW.Store(max, m);
        TW.Store(al, alpha);
    }
}
