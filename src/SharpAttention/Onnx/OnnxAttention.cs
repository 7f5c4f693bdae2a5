using SharpAttention.NN.Attention;
using static SharpAttention.Onnx.OnnxGraphBuilder;

namespace SharpAttention.Onnx;

/// <summary>RoPE's cos and sin tables in a graph, each (B or 1, 1, T, D) to broadcast over the heads.</summary>
internal sealed record OnnxRope(string Cos, string Sin)
{
    /// <summary>cos/sin of position·θ from int64 positions (B, T) or (1, T) and the rotary's inv_freq (D/2), duplicated for
    /// the rotate-half layout — the angles are float32 products, as <see cref="NN.F.RotaryTables"/> and Hugging Face form them.</summary>
    public static OnnxRope FromPositions(OnnxGraphBuilder b, string positions, NN.Positional.RotaryEmbedding rotary)
    {
        var invFreq = b.Weight(rotary.InvFreq);                                                             // (D/2)
        var angles = b.Mul(b.Unsqueeze(b.Cast(positions, global::Onnx.TensorProto.Types.DataType.Float), [-1]), invFreq);   // (B, T, D/2)
        var emb = b.Unsqueeze(b.Concat(-1, angles, angles), [1]);                                            // (B, 1, T, D)
        return new OnnxRope(b.Node("Cos", [emb]), b.Node("Sin", [emb]));
    }

    /// <summary>x·cos + rotate_half(x)·sin, rotate_half([x₁, x₂]) = [−x₂, x₁].</summary>
    /// <param name="b">the graph</param>
    /// <param name="x">(B, H, T, D)</param>
    /// <param name="headDim">D</param>
    public string Apply(OnnxGraphBuilder b, string x, int headDim)
    {
        var halves = b.Split(x, -1, [headDim / 2, headDim / 2]);
        var rotated = b.Concat(-1, b.Neg(halves[1]), halves[0]);
        return b.Add(b.Mul(x, Cos), b.Mul(rotated, Sin));
    }
}

/// <summary>
/// <see cref="MultiheadAttention"/> as ONNX operators: projections, heads, RoPE, a key/value cache, masks and the output
/// projection. Composed from MatMul/Softmax (every runtime runs it) or, with <c>fused</c>, ONNX Runtime's com.microsoft
/// MultiHeadAttention for the attention itself (not with grouped-query heads: those layers stay composed). A blocked
/// mask is bool, broadcastable to (B, 1, T, S), true where a query may not attend; blocked scores get float32's lowest
/// value (Hugging Face's finfo.min), so a row with at least one visible key gets exactly zero weight elsewhere.
/// </summary>
internal static class OnnxAttention
{
    /// <summary>Self-attention of x (B, T, E); with a past cache (B, Hkv, P, D) the new keys and values are appended and
    /// the present cache (B, Hkv, P + T, D) returned.</summary>
    public static (string Output, string Key, string Value) SelfAttention(OnnxGraphBuilder b, MultiheadAttention mha, string x,
        string? blocked, OnnxRope? rope, string? pastKey, string? pastValue, bool fused)
    {
        int h = mha.NumHeads, hkv = mha.NumKvHeads, d = mha.HeadDim;
        if (mha.Rotary is not null && mha.Rotary.Dim != d)
            throw new OnnxExportException($"partial rotary embedding (rotary dim {mha.Rotary.Dim} of head dim {d})");
        var (q, k, v) = Project(b, mha, x);

        // 2. Heads: (B, T, H·D) → (B, H, T, D); RoPE on the new queries and keys; the cache grows along T.
        q = SplitHeads(b, q, h, d);
        k = SplitHeads(b, k, hkv, d);                                               // (B, Hkv, T, D)
        v = SplitHeads(b, v, hkv, d);
        if (rope is not null)
        {
            q = rope.Apply(b, q, d);
            k = rope.Apply(b, k, d);
        }
        if (pastKey is not null) k = b.Concat(2, pastKey, k);                      // (B, Hkv, P + T, D)
        if (pastValue is not null) v = b.Concat(2, pastValue, v);
        return (Attend(b, mha, q, k, v, blocked, fused), k, v);
    }

    /// <summary>The cross-attention keys and values of memory (B, S, E), each (B, Hkv, S, D): computed once per source
    /// (Optimum's "encoder" past).</summary>
    public static (string Key, string Value) CrossKeyValue(OnnxGraphBuilder b, MultiheadAttention mha, string memory) =>
        (SplitHeads(b, Projection(b, mha, memory, 1), mha.NumKvHeads, mha.HeadDim), SplitHeads(b, Projection(b, mha, memory, 2), mha.NumKvHeads, mha.HeadDim));

    /// <summary>Cross-attention from x (B, T, E) to keys and values (B, Hkv, S, D) from <see cref="CrossKeyValue"/>.</summary>
    public static string CrossAttention(OnnxGraphBuilder b, MultiheadAttention mha, string x, string key, string value, string? blocked, bool fused) =>
        Attend(b, mha, SplitHeads(b, Projection(b, mha, x, 0), mha.NumHeads, mha.HeadDim), key, value, blocked, fused);

    /// <summary>1. Projections q (B, T, E), k and v (B, T, Hkv·D) of x: one MatMul when the weight is packed.</summary>
    static (string Q, string K, string V) Project(OnnxGraphBuilder b, MultiheadAttention mha, string x)
    {
        if (mha.InProjWeight is null) return (Projection(b, mha, x, 0), Projection(b, mha, x, 1), Projection(b, mha, x, 2));
        var qkv = b.Split(b.Linear(x, mha.InProjWeight, mha.InProjBias), -1, Sizes(mha));
        return (qkv[0], qkv[1], qkv[2]);
    }

    /// <summary>One projection of x: 0 = query (E), 1 = key, 2 = value (Hkv·D each), from the packed rows or its own
    /// weight; in_proj_bias (packed in either case, as in torch) adds its rows.</summary>
    static string Projection(OnnxGraphBuilder b, MultiheadAttention mha, string x, int which)
    {
        var sizes = Sizes(mha);
        long start = sizes.Take(which).Sum(), end = start + sizes[which];
        string Rows(Tensors.Tensor t) => b.Slice(b.Weight(t), b.Int64s([start]), b.Int64s([end]), 0);
        var y = mha.InProjWeight is null
            ? b.MatMul(x, b.TransposedWeight(which switch { 0 => mha.QProjWeight!, 1 => mha.KProjWeight!, _ => mha.VProjWeight! }))
            : b.MatMul(x, b.Transpose(Rows(mha.InProjWeight), [1, 0]));
        return mha.InProjBias is null ? y : b.Add(y, Rows(mha.InProjBias));
    }

    static long[] Sizes(MultiheadAttention mha) => [mha.EmbedDim, mha.NumKvHeads * mha.HeadDim, mha.NumKvHeads * mha.HeadDim];

    /// <summary>3. Attention of q (B, H, T, D) over k, v (B, Hkv, S, D), then the output projection: (B, T, E).</summary>
    static string Attend(OnnxGraphBuilder b, MultiheadAttention mha, string q, string k, string v, string? blocked, bool fused)
    {
        int h = mha.NumHeads, hkv = mha.NumKvHeads, d = mha.HeadDim, e = mha.EmbedDim;
        string context;                                                             // (B, T, E)
        if (fused && hkv == h)
        {
            // 3a. com.microsoft MultiHeadAttention on q (B, T, E) and the whole key/value cache in BNSH (B, H, S, D); the
            //     masks enter as an additive bias, which the operator wants with all T rows: (B or 1, 1, T, S).
            var query = b.Reshape(b.Transpose(q, [0, 2, 1, 3]), [0, 0, e]);
            string bias = "";
            if (blocked is not null)
            {
                var rows = b.Concat(0, b.Int64s([1, 1]), b.ShapeSlice(query, 1), b.ShapeSlice(k, 2));   // [1, 1, T, S]
                bias = b.Node("Expand", [b.Where(blocked, b.Float(float.MinValue), b.Float(0f)), rows]);
            }
            context = b.Node("MultiHeadAttention", [query, k, v, "", "", bias], [Attr("num_heads", (long)h)],
                domain: MicrosoftDomain);
        }
        else
        {
            // 3b. Composed: softmax(q·kᵀ / √D, blocked → lowest)·v. Grouped-query heads share a kv head per group of
            //     G = H / Hkv queries (head h reads kv head h / G), by broadcasting (B, Hkv, G, T, D) against (B, Hkv, 1, S, D).
            string qh = q, kh = k, vh = v, mask = blocked ?? "";
            bool grouped = hkv != h;
            if (grouped)
            {
                qh = b.Reshape(q, [0, hkv, h / hkv, -1, d]);
                kh = b.Unsqueeze(k, [2]);
                vh = b.Unsqueeze(v, [2]);
                if (blocked is not null) mask = b.Unsqueeze(blocked, [1]);
            }
            var kt = b.Transpose(kh, grouped ? [0, 1, 2, 4, 3] : [0, 1, 3, 2]);
            var scores = b.Mul(b.MatMul(qh, kt), b.Float((float)(1 / Math.Sqrt(d))));
            if (blocked is not null) scores = b.Where(mask, b.Float(float.MinValue), scores);
            var attn = b.MatMul(b.Softmax(scores), vh);
            if (grouped) attn = b.Reshape(attn, [0, h, -1, d]);                   // (B, H, T, D)
            context = b.Reshape(b.Transpose(attn, [0, 2, 1, 3]), [0, 0, e]);
        }
        // 4. Output projection.
        return b.Linear(context, mha.OutProj);
    }

    /// <summary>(B, T, H·D) → (B, H, T, D).</summary>
    static string SplitHeads(OnnxGraphBuilder b, string x, int heads, int d) => b.Transpose(b.Reshape(x, [0, 0, heads, d]), [0, 2, 1, 3]);
}
