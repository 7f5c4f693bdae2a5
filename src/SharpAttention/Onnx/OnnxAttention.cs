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
        var (q, k, v) = Project(b, mha, x, x, selfAttention: true);
        return Attend(b, mha, q, k, v, blocked, rope, pastKey, pastValue, fused);
    }

    /// <summary>Cross-attention from x (B, T, E) to memory (B, S, E).</summary>
    public static string CrossAttention(OnnxGraphBuilder b, MultiheadAttention mha, string x, string memory, string? blocked, bool fused)
    {
        var (q, k, v) = Project(b, mha, x, memory, selfAttention: false);
        return Attend(b, mha, q, k, v, blocked, null, null, null, fused).Output;
    }

    /// <summary>1. Projections q (B, T, E), k and v (B, S, Hkv·D): one MatMul for packed self-attention, else one per input.</summary>
    static (string Q, string K, string V) Project(OnnxGraphBuilder b, MultiheadAttention mha, string xq, string xkv, bool selfAttention)
    {
        int e = mha.EmbedDim, kv = mha.NumKvHeads * mha.HeadDim;
        long[] sizes = [e, kv, kv];
        if (mha.InProjWeight is not null && selfAttention)
        {
            var qkv = b.Split(b.Linear(xq, mha.InProjWeight, mha.InProjBias), -1, sizes);
            return (qkv[0], qkv[1], qkv[2]);
        }
        string[] w = mha.InProjWeight is not null
            ? b.Split(b.Weight(mha.InProjWeight), 0, sizes).Select(t => b.Transpose(t, [1, 0])).ToArray()
            : [b.TransposedWeight(mha.QProjWeight!), b.TransposedWeight(mha.KProjWeight!), b.TransposedWeight(mha.VProjWeight!)];
        string[]? bias = mha.InProjBias is null ? null : b.Split(b.Weight(mha.InProjBias), 0, sizes);
        string Proj(string x, int i) => bias is null ? b.MatMul(x, w[i]) : b.Add(b.MatMul(x, w[i]), bias[i]);
        return (Proj(xq, 0), Proj(xkv, 1), Proj(xkv, 2));
    }

    static (string Output, string Key, string Value) Attend(OnnxGraphBuilder b, MultiheadAttention mha, string q, string k, string v,
        string? blocked, OnnxRope? rope, string? pastKey, string? pastValue, bool fused)
    {
        int h = mha.NumHeads, hkv = mha.NumKvHeads, d = mha.HeadDim, e = mha.EmbedDim;
        if (mha.Rotary is not null && mha.Rotary.Dim != d)
            throw new OnnxExportException($"partial rotary embedding (rotary dim {mha.Rotary.Dim} of head dim {d})");

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
        return (b.Linear(context, mha.OutProj), k, v);
    }

    /// <summary>(B, T, H·D) → (B, H, T, D).</summary>
    static string SplitHeads(OnnxGraphBuilder b, string x, int heads, int d) => b.Transpose(b.Reshape(x, [0, 0, heads, d]), [0, 2, 1, 3]);
}
