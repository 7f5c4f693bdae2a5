using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention;

// Incremental decoding with a KvCache: each step projects only its new positions (fairseq's incremental_state).
public sealed partial class MultiheadAttention
{
    /// <summary>
    /// One causal self-attention step: projects q, k and v of the T new positions only, rotates them by their
    /// positions (cache.Length onwards) when the module has a rotary embedding, appends k and v to
    /// <paramref name="cache"/> and attends from the new queries to every cached position — with T &gt; 1 (a prompt
    /// fed at once) causally, aligned bottom-right, so new position i sees the cache and new positions ≤ i. Gives the
    /// rows <see cref="Forward"/> gives for those positions with isCausal over the whole prefix. Inference only: no
    /// dropout, no autograd.
    /// </summary>
    /// <param name="query">(B, T, E) batch-first, whatever <see cref="BatchFirst"/> says</param>
    /// <param name="cache">this layer's cache: (B, Hkv, S, D), S grows by T</param>
    /// <param name="attnBias">float (H, T, S) added to the scores of the new queries against every cached position,
    /// causal −∞ included (ALiBi's bias); null: plain causal attention</param>
    /// <returns>(B, T, E)</returns>
    public Tensor ForwardIncremental(Tensor query, KvCache cache, Tensor? attnBias = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        CheckStep(query, cache, "ForwardIncremental");
        using var _ = GradMode.NoGrad();
        int b = query.Size(0), t = query.Size(1), e = EmbedDim, kvRows = NumKvHeads * HeadDim;

        // 1. Project the new positions: q (B, T, E), k and v (B, T, Hkv·D).
        Tensor q, k, v;
        if (InProjWeight is not null)
        {
            var qkv = F.Linear(query, InProjWeight, InProjBias);   // (B, T, 3E)
            (q, k, v) = (qkv.Narrow(2, 0, e), qkv.Narrow(2, e, e), qkv.Narrow(2, 2 * e, e));
        }
        else
        {
            q = F.Linear(query, QProjWeight!, InProjBias?.Narrow(0, 0, e));
            k = F.Linear(query, KProjWeight!, InProjBias?.Narrow(0, e, kvRows));
            v = F.Linear(query, VProjWeight!, InProjBias?.Narrow(0, e + kvRows, kvRows));
        }

        // 2. Split heads (views): (B, H, T, D) and (B, Hkv, T, D); rotate by absolute position.
        q = SplitHeads(q, NumHeads);
        k = SplitHeads(k, NumKvHeads);
        v = SplitHeads(v, NumKvHeads);
        if (Rotary is not null)
        {
            q = Rotary.Apply(q, cache.Length);
            k = Rotary.Apply(k, cache.Length);
        }

        // 3. Append, then attend over the whole cache (B, Hkv, S, D).
        cache.Append(k, v);
        bool gqa = NumKvHeads != NumHeads;
        var attn = attnBias is not null
            ? F.ScaledDotProductAttention(q, cache.Keys, cache.Values, attnBias.To(q.DType), enableGqa: gqa)
            : t == 1
            ? F.ScaledDotProductAttention(q, cache.Keys, cache.Values, enableGqa: gqa)
            : F.ScaledDotProductAttentionCausalBottomRight(q, cache.Keys, cache.Values, enableGqa: gqa);   // (B, H, T, D)
        return MergeAndProject(attn, b, t);
    }

    /// <summary>
    /// Projects the encoder output once into a cross-attention cache for <see cref="ForwardCached"/>: keys and values
    /// (B, Hkv, S, D) and the memory's key padding, applied at every step as <see cref="Forward"/> applies it.
    /// </summary>
    /// <param name="memory">(B, S, kdim) batch-first</param>
    /// <param name="keyPaddingMask">(B, S): bool true (or float −∞) at padding, or null</param>
    public KvCache ProjectMemory(Tensor memory, Tensor? keyPaddingMask = null)
    {
        if (memory.Dim != 3 || memory.Size(2) != KDim || KDim != VDim)
            throw new ArgumentException($"MultiheadAttention.ProjectMemory: expected memory (B, S, {KDim}), got {ShapeUtil.Format(memory.Shape)}");
        if (Rotary is not null)
            throw new InvalidOperationException("MultiheadAttention.ProjectMemory: cross-attention with a rotary embedding is not supported");
        using var _ = GradMode.NoGrad();
        int b = memory.Size(0), s = memory.Size(1), e = EmbedDim, kvRows = NumKvHeads * HeadDim;
        Tensor k, v;
        if (InProjWeight is not null)
        {
            var kv = F.Linear(memory, InProjWeight.Narrow(0, e, 2 * e), InProjBias?.Narrow(0, e, 2 * e));   // (B, S, 2E)
            (k, v) = (kv.Narrow(2, 0, e), kv.Narrow(2, e, e));
        }
        else
        {
            k = F.Linear(memory, KProjWeight!, InProjBias?.Narrow(0, e, kvRows));
            v = F.Linear(memory, VProjWeight!, InProjBias?.Narrow(0, e + kvRows, kvRows));
        }
        var cache = new KvCache(b, NumKvHeads, HeadDim, capacity: Math.Max(1, s), maxLength: Math.Max(1, s), dtype: memory.DType);
        cache.Append(SplitHeads(k, NumKvHeads), SplitHeads(v, NumKvHeads));
        var masks = MhaMasks.Prepare(null, keyPaddingMask, false, b, NumHeads, 1, s, memory.DType, unbatched: false);
        cache.SetPadding(masks.Mask, masks.KeyLengths?.ToInt64Array());
        return cache;
    }

    /// <summary>
    /// Cross-attention from T new positions to memory cached by <see cref="ProjectMemory"/>: only the queries are
    /// projected; the memory's padding applies. Inference only.
    /// </summary>
    /// <param name="query">(B, T, E) batch-first</param>
    /// <param name="memory">the cache <see cref="ProjectMemory"/> made (reordered along with the batch)</param>
    /// <returns>(B, T, E)</returns>
    public Tensor ForwardCached(Tensor query, KvCache memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        CheckStep(query, memory, "ForwardCached");
        using var _ = GradMode.NoGrad();
        int b = query.Size(0), t = query.Size(1), e = EmbedDim;
        var q = InProjWeight is not null
            ? F.Linear(query, InProjWeight.Narrow(0, 0, e), InProjBias?.Narrow(0, 0, e))
            : F.Linear(query, QProjWeight!, InProjBias?.Narrow(0, 0, e));                  // (B, T, E)
        var attn = F.ScaledDotProductAttention(SplitHeads(q, NumHeads), memory.Keys, memory.Values, memory.Mask,
            enableGqa: NumKvHeads != NumHeads, keyLengths: memory.KeyLengths);              // (B, H, T, D)
        return MergeAndProject(attn, b, t);
    }

    void CheckStep(Tensor query, KvCache cache, string method)
    {
        if (query.Dim != 3 || query.Size(2) != EmbedDim || query.Size(0) != cache.BatchSize)
            throw new ArgumentException($"MultiheadAttention.{method}: expected query ({cache.BatchSize}, T, {EmbedDim}) for a cache of " +
                                        $"{cache.BatchSize} rows, got {ShapeUtil.Format(query.Shape)}");
        if (cache.NumKvHeads != NumKvHeads || cache.HeadDim != HeadDim)
            throw new ArgumentException($"MultiheadAttention.{method}: the cache has {cache.NumKvHeads} heads of {cache.HeadDim}, " +
                                        $"the module {NumKvHeads} of {HeadDim}");
    }

    /// <summary>(B, T, n·D) with a contiguous last dim → the view (B, n, T, D), no copy.</summary>
    Tensor SplitHeads(Tensor x, int heads) =>
        Autograd.Ops.View.Forward(x, [x.Size(0), heads, x.Size(1), HeadDim], [x.Strides[0], HeadDim, x.Strides[1], 1]);

    /// <summary>(B, H, T, D) → (B, T, E), then out_proj.</summary>
    Tensor MergeAndProject(Tensor attn, int b, int t) =>
        F.Linear(attn.Transpose(1, 2).Reshape(b, t, EmbedDim), OutProj.Weight, OutProj.Bias);
}
