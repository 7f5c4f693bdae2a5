using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Attention;

/// <summary>
/// Flash-attention forward (Dao et al. 2022, algorithm 1, with FlashAttention-2's single final normalisation): for a
/// tile of up to 64 query rows, stream key blocks, keep a running max m and sum l per row, rescale the output
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
            if (p.L <= 16) Launch<Vec1>(a);
            else if (p.L <= 32) Launch<Vec2>(a);
            else if (p.L <= 48) Launch<Vec3>(a);
            else Launch<Vec4>(a);
        }
    }

    /// <summary>Most query tiles one item runs against each K/V block while it is in cache.</summary>
    const int MaxGroup = 4;

    /// <summary>Floats of per-thread workspace for a group of tiles of 16·N query rows.</summary>
    public static long WorkspaceFloats(in AttentionProblem p, int lanes) =>
        MaxGroup * PerTileFloats(p, lanes) + (long)lanes * (Bc + TileMath.MR + 1) + 16;

    static long PerTileFloats(in AttentionProblem p, int lanes) => (long)lanes * (p.E + RoundUp(p.Ev, TileMath.MR) + 4);

    static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    static void Launch<TN>(FlashArgs* a) where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        int tiles = (p.L + TN.N * 16 - 1) / (TN.N * 16);
        // Groups of query tiles share each K/V block while it is in L1/L2 (K and V of a long head do not fit in
        // L2); smaller groups when there would be too few items (16 per thread) to even out the threads' finishing
        // times, which on a shared machine differ by whole scheduler slices.
        int group = MaxGroup;
        while (group > 1 && (long)(tiles + group - 1) / group * p.B * p.H < 16L * Threads.Count) group /= 2;
        int groups = (tiles + group - 1) / group;
        int count = groups * p.B * p.H;
        long cost = (long)group * TN.N * 16 * p.S * (p.E + p.Ev);
        var body = new Body<TN>(a, tiles, group);
        // Handed out one at a time: causal group costs grow along the diagonal, and on a shared machine a thread that
        // is descheduled for a while must not leave the other waiting on a fixed share.
        ParallelFor.ForDynamic(count, 1, p.Causal ? cost / 2 : cost, body);
    }

    /// <summary>Item t: tile group (groups − 1 − t / (B·H)) of head t mod (B·H), so the costliest causal groups go first.</summary>
    readonly struct Body<TN>(FlashArgs* a, int tiles, int group) : IRangeBody where TN : struct, IVecCount
    {
        public void Run(int start, int end)
        {
            int heads = a->P.B * a->P.H, groups = (tiles + group - 1) / group;
            float* ws = TileMath.Aligned(ref workspace, WorkspaceFloats(a->P, TN.N * 16));
            for (int t = start; t < end; t++)
            {
                int bh = t % heads, first = (groups - 1 - t / heads) * group;
                Group<TN>(a, ws, bh / a->P.H, bh % a->P.H, first, Math.Min(group, tiles - first));
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
    static void Group<TN>(FlashArgs* a, float* ws, int b, int h, int firstTile, int count) where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        const int MR = TileMath.MR;
        int br = TN.N * 16, kvh = h / p.Group, evPad = RoundUp(p.Ev, MR), len = a->KeyLength(b);
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
            PackQ(a, t.Qt, br, b, h, t.I0, t.Rows, qScale);

            // 2. Keys the tile needs: [0, KEnd) — past the key length and (causal) past the last row's diagonal
            //    nothing is visible; keys below KFree are visible to every row, so they need no causal masking.
            t.KEnd = Math.Min(len, p.CausalEnd(t.I0 + t.Rows - 1));
            t.KFree = Math.Min(len, p.CausalEnd(t.I0));
            kEndAll = Math.Max(kEndAll, t.KEnd);

            // 3. Empty accumulators.
            for (int n = 0; n < TN.N; n++)
            {
                Vector512.Create(float.NegativeInfinity).Store(t.M + 16 * n);
                Vector512<float>.Zero.Store(t.L + 16 * n);
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
                    TileMath.Mma<TN>(st + r0 * br, br, Math.Min(MR, jn - r0),
                                     Rows6.Strided(kRow0 + (j0 + r0) * a->K.SL, a->K.SL, jn - r0), 1, t.Qt, br, p.E);

                // 5. Masks: causal inside the diagonal block, then the explicit mask (−∞ or added bias, log2 units).
                if (a->MaskKind != AttentionMaskKind.None || j0 + jn > t.KFree)
                    ApplyMasks<TN>(a, st, bias, b, h, t.I0, t.Rows, j0, jn);

                // 6. Online softmax: new max, rescale factor, probabilities (dropout applied after they are summed).
                if (p.HasDropout) Softmax<TN, WithDropout>(st, t.M, t.L, t.Alpha, t.RowKeys, j0, jn, p);
                else Softmax<TN, NoDropout>(st, t.M, t.L, t.Alpha, t.RowKeys, j0, jn, p);

                // 7. Oᵀ = Oᵀ∘alpha + Vᵀ·Pᵀ, 6 value columns per micro-kernel call.
                for (int e0 = 0; e0 < p.Ev; e0 += MR)
                    TileMath.Mma<TN>(t.Ot + e0 * br, br, Math.Min(MR, p.Ev - e0), Rows6.Strided(vRow0 + j0 * a->V.SL + e0, 1, p.Ev - e0),
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
            UnpackO(a, t.Ot, t.L, br, b, h, t.I0, t.Rows);
        }
    }

    /// <summary>Qᵀ[d, lane] = Q[i0 + lane, d]·scale for lanes &lt; rows, 0 beyond: 16×16 blocks transposed in
    /// registers (a block past the last row reads zeros for the missing rows), element by element for head-dim tails.</summary>
    static void PackQ(FlashArgs* a, float* qt, int br, int b, int h, int i0, int rows, float scale)
    {
        int e = a->P.E, dFull = TileMath.CanTranspose ? e / 16 * 16 : 0;
        var block = stackalloc Vector512<float>[32];
        for (int lane0 = 0; lane0 < br; lane0 += 16)
            for (int d0 = 0; d0 < dFull; d0 += 16)
            {
                for (int k = 0; k < 16; k++)
                    block[k] = lane0 + k < rows ? Vector512.Load(a->Q.Row(b, h, i0 + lane0 + k) + d0) * Vector512.Create(scale) : Vector512<float>.Zero;
                TileMath.Transpose16(block, block + 16);
                for (int k = 0; k < 16; k++) block[16 + k].Store(qt + (d0 + k) * br + lane0);
            }
        for (int lane = 0; lane < br; lane++)
        {
            float* q = lane < rows ? a->Q.Row(b, h, i0 + lane) : null;
            for (int d = dFull; d < e; d++) qt[d * br + lane] = q == null ? 0f : q[d] * scale;
        }
    }

    /// <summary>O[i0 + lane, e] = Oᵀ[e, lane]·factor[lane] for lanes &lt; rows, transposed like <see cref="PackQ"/>.</summary>
    static void UnpackO(FlashArgs* a, float* ot, float* factor, int br, int b, int h, int i0, int rows)
    {
        int ev = a->P.Ev, eFull = TileMath.CanTranspose ? ev / 16 * 16 : 0;
        var block = stackalloc Vector512<float>[32];
        for (int lane0 = 0; lane0 < rows; lane0 += 16)
            for (int e0 = 0; e0 < eFull; e0 += 16)
            {
                for (int k = 0; k < 16; k++) block[k] = Vector512.Load(ot + (e0 + k) * br + lane0);
                TileMath.Transpose16(block, block + 16);
                for (int k = 0; k < Math.Min(16, rows - lane0); k++)
                    (block[16 + k] * Vector512.Create(factor[lane0 + k])).Store(a->O.Row(b, h, i0 + lane0 + k) + e0);
            }
        for (int lane = 0; lane < rows; lane++)
        {
            float* o = a->O.Row(b, h, i0 + lane);
            for (int e = eFull; e < ev; e++) o[e] = ot[e * br + lane] * factor[lane];
        }
    }

    /// <summary>Adds the causal −∞ and the explicit mask to the block's scores Sᵀ (jn keys × 16·N lanes).</summary>
    static void ApplyMasks<TN>(FlashArgs* a, float* st, float* bias, int b, int h, int i0, int rows, int j0, int jn)
        where TN : struct, IVecCount
    {
        ref readonly var p = ref a->P;
        int br = TN.N * 16;
        var ninf = Vector512.Create(float.NegativeInfinity);
        var iota = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var ms = a->MaskStrides;
        long maskRow = b * ms.B + h * ms.H + i0 * ms.L;
        // a. Causal: lane i sees key j iff j ≤ i0 + lane + offset, i.e. lane ≥ j − i0 − offset.
        for (int jj = 0; p.Causal && jj < jn; jj++)
        {
            float* s = st + jj * br;
            var first = Vector512.Create((float)((long)j0 + jj - i0 - p.CausalOffset));
            for (int n = 0; n < TN.N; n++)
            {
                var blocked = Vector512.LessThan(iota + Vector512.Create(16f * n), first);
                Vector512.ConditionalSelect(blocked, ninf, Vector512.Load(s + 16 * n)).Store(s + 16 * n);
            }
        }
        if (a->MaskKind == AttentionMaskKind.None) return;

        // b. A mask constant along the query rows (key padding, (B, 1, 1, S)): one value per key.
        if (ms.L == 0)
        {
            for (int jj = 0; jj < jn; jj++)
            {
                var v = Vector512.Create(a->MaskBias(maskRow + (j0 + jj) * ms.S));
                for (int n = 0; n < TN.N; n++) (Vector512.Load(st + jj * br + 16 * n) + v).Store(st + jj * br + 16 * n);
            }
            return;
        }

        // c. A mask varying along the rows: 16 rows × 16 keys at a time, read along the keys (the mask's contiguous
        //    dim) and transposed in registers, so every cache line of the mask is read once.
        int jFull = ms.S == 1 && TileMath.CanTranspose ? jn / 16 * 16 : 0;
        var block = stackalloc Vector512<float>[16];
        for (int lane0 = 0; lane0 < br && jFull > 0; lane0 += 16)
            for (int jj0 = 0; jj0 < jFull; jj0 += 16)
            {
                for (int k = 0; k < 16; k++)
                {
                    long at = maskRow + Math.Min(lane0 + k, rows - 1) * ms.L + j0 + jj0;   // lanes past the last row repeat it
                    block[k] = a->MaskKind == AttentionMaskKind.Additive
                        ? Vector512.Load((float*)a->Mask + at) * Vector512.Create(FlashArgs.Log2E)
                        : TileMath.BoolBias((bool*)a->Mask + at);
                }
                TileMath.AddTransposed16(block, st + jj0 * br + lane0, br);
            }
        for (int jj = jFull; jj < jn; jj++)
        {
            long at = maskRow + (j0 + jj) * ms.S;
            for (int lane = 0; lane < br; lane++) bias[lane] = lane < rows ? a->MaskBias(at + lane * ms.L) : 0f;
            for (int n = 0; n < TN.N; n++) (Vector512.Load(st + jj * br + 16 * n) + Vector512.Load(bias + 16 * n)).Store(st + jj * br + 16 * n);
        }
    }

    /// <summary>One block of the online softmax on Sᵀ (log2 units), in place to Pᵀ; updates m, l and alpha. The up to
    /// 4 lane vectors of a key row go through max and exp2 side by side, so the exp2 polynomial chains overlap. Too
    /// large to inline, so fully optimised from its first call rather than tiered up after many slow ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Softmax<TN, TD>(float* st, float* m, float* l, float* alpha, uint* rowKeys, int j0, int jn, in AttentionProblem p)
        where TN : struct, IVecCount where TD : struct, IDropoutMode
    {
        int br = TN.N * 16;
        var ninf = Vector512.Create(float.NegativeInfinity);
        var zero = Vector512<float>.Zero;

        // a. New running max (MaxNative is one vmaxps; a NaN score makes its row NaN either way).
        var o0 = Vector512.Load(m);
        var o1 = TN.N > 1 ? Vector512.Load(m + 16) : zero;
        var o2 = TN.N > 2 ? Vector512.Load(m + 32) : zero;
        var o3 = TN.N > 3 ? Vector512.Load(m + 48) : zero;
        var (n0, n1, n2, n3) = (o0, o1, o2, o3);
        for (int jj = 0; jj < jn; jj++)
        {
            float* s = st + jj * br;
            n0 = Vector512.MaxNative(n0, Vector512.Load(s));
            if (TN.N > 1) n1 = Vector512.MaxNative(n1, Vector512.Load(s + 16));
            if (TN.N > 2) n2 = Vector512.MaxNative(n2, Vector512.Load(s + 32));
            if (TN.N > 3) n3 = Vector512.MaxNative(n3, Vector512.Load(s + 48));
        }

        // b. A row with nothing visible yet keeps m = −∞; subtracting 0 instead gives exp2(−∞) = 0, never NaN.
        var u0 = Vector512.ConditionalSelect(Vector512.Equals(n0, ninf), zero, n0);
        var u1 = Vector512.ConditionalSelect(Vector512.Equals(n1, ninf), zero, n1);
        var u2 = Vector512.ConditionalSelect(Vector512.Equals(n2, ninf), zero, n2);
        var u3 = Vector512.ConditionalSelect(Vector512.Equals(n3, ninf), zero, n3);
        var (a0, a1, a2, a3) = (o0 - u0, o1 - u1, o2 - u2, o3 - u3);
        TileMath.Exp2<TN>(ref a0, ref a1, ref a2, ref a3);

        // c. P = 2^(S − m); the sums take P before dropout, the stored Pᵀ is dropped and scaled.
        bool dropout = TD.On;   // a constant per instantiation: the loop without dropout keeps its values in registers
        uint threshold = dropout ? AttentionDropout.Threshold(p.DropoutP) : 0;
        var dropScale = Vector512.Create((float)p.DropoutScale);
        var (s0, s1, s2, s3) = (zero, zero, zero, zero);
        for (int jj = 0; jj < jn; jj++)
        {
            float* s = st + jj * br;
            var e0 = Vector512.Load(s) - u0;
            var e1 = TN.N > 1 ? Vector512.Load(s + 16) - u1 : zero;
            var e2 = TN.N > 2 ? Vector512.Load(s + 32) - u2 : zero;
            var e3 = TN.N > 3 ? Vector512.Load(s + 48) - u3 : zero;
            TileMath.Exp2<TN>(ref e0, ref e1, ref e2, ref e3);
            s0 += e0;
            if (TN.N > 1) s1 += e1;
            if (TN.N > 2) s2 += e2;
            if (TN.N > 3) s3 += e3;
            if (dropout)
            {
                var j = Vector512.Create((uint)(j0 + jj));
                for (int n = 0; n < TN.N; n++)
                {
                    var e = n == 0 ? e0 : n == 1 ? e1 : n == 2 ? e2 : e3;
                    ((e * dropScale) & AttentionDropout.KeepMask(Vector512.Load(rowKeys + 16 * n), j, threshold)).Store(s + 16 * n);
                }
                continue;
            }
            e0.Store(s);
            if (TN.N > 1) e1.Store(s + 16);
            if (TN.N > 2) e2.Store(s + 32);
            if (TN.N > 3) e3.Store(s + 48);
        }

        // d. l = l·alpha + Σ P; keep the new max and this block's alpha for the Oᵀ update.
        Update(l, m, alpha, s0, a0, n0);
        if (TN.N > 1) Update(l + 16, m + 16, alpha + 16, s1, a1, n1);
        if (TN.N > 2) Update(l + 32, m + 32, alpha + 32, s2, a2, n2);
        if (TN.N > 3) Update(l + 48, m + 48, alpha + 48, s3, a3, n3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Update(float* l, float* m, float* alpha, Vector512<float> sum, Vector512<float> al, Vector512<float> max)
    {
        Vector512.FusedMultiplyAdd(Vector512.Load(l), al, sum).Store(l);
        max.Store(m);
        al.Store(alpha);
    }
}
