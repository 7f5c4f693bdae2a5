using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

/// <summary>Which implementation <see cref="F.ScaledDotProductAttention"/> runs.</summary>
public enum AttentionBackend
{
    /// <summary>The fused kernel for float32; the composed path for float64.</summary>
    Auto,
    /// <summary>The fused flash-style kernel (float64 runs its naive double-precision reference twin).</summary>
    Fused,
    /// <summary>matmul + masked softmax + matmul from autograd primitives: materialises the (B, H, L, S) weights.</summary>
    Composed,
}

// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention; Vaswani et al. 2017, eq. 1).
public static partial class F
{
    /// <summary>
    /// softmax(Q·Kᵀ·scale + mask)·V over query (B, H, L, E), key (B, Hkv, S, E), value (B, Hkv, S, Ev) → (B, H, L, Ev);
    /// 3-D inputs (N, L, E) / (N, S, E) / (N, S, Ev) → (N, L, Ev) as in torch.
    /// <para><paramref name="attnMask"/>: bool (true = may attend, torch's SDPA convention) or float (added to the
    /// scores), broadcastable to (B, H, L, S). <paramref name="isCausal"/>: query i attends keys j ≤ i (top-left
    /// aligned, as torch); not together with a mask. <paramref name="scale"/>: default 1/√E.
    /// <paramref name="enableGqa"/>: H a multiple of Hkv, query head h reads kv head h / (H / Hkv).
    /// <paramref name="keyLengths"/>: Int64 (B), keys at or past a row's length are masked (the fused kernel skips
    /// them). <paramref name="dropoutP"/>: dropout on the attention probabilities whenever &gt; 0 (pass 0 in eval),
    /// drawn from a counter-based hash seeded by one draw from <paramref name="generator"/>.</para>
    /// A query row that may attend no key gives 0 output and 0 gradient (torch 1.13 gives NaN).
    /// </summary>
    /// <exception cref="ArgumentException">shapes, dtypes or options do not fit together.</exception>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null,
        double dropoutP = 0.0, bool isCausal = false, double? scale = null, bool enableGqa = false,
        Tensor? keyLengths = null, Generator? generator = null, AttentionBackend backend = AttentionBackend.Auto)
    {
        var a = AttentionArgs.Prepare(query, key, value, attnMask, dropoutP, isCausal, scale, enableGqa, keyLengths, generator);
        bool fused = backend == AttentionBackend.Fused || (backend == AttentionBackend.Auto && a.Query.DType == DType.Float32);
        var output = fused ? Ops.ScaledDotProductAttention.Forward(a) : ComposedAttention(a, out _);
        return a.ThreeD ? output.Squeeze(1) : output;
    }

    /// <summary>
    /// Causal <see cref="ScaledDotProductAttention"/> aligned bottom-right: the L queries are the last L of the S
    /// positions, so query i sees keys j ≤ i + S − L — incremental decoding and chunked prefill against a KV cache.
    /// (torch's is_causal aligns top-left, j ≤ i; the two agree when L = S.)
    /// </summary>
    internal static Tensor ScaledDotProductAttentionCausalBottomRight(Tensor query, Tensor key, Tensor value, double dropoutP = 0.0,
        double? scale = null, bool enableGqa = false, Tensor? keyLengths = null, Generator? generator = null,
        AttentionBackend backend = AttentionBackend.Auto)
    {
        var a = AttentionArgs.Prepare(query, key, value, null, dropoutP, true, scale, enableGqa, keyLengths, generator);
        a.CausalOffset = a.S - a.L;
        bool fused = backend == AttentionBackend.Fused || (backend == AttentionBackend.Auto && a.Query.DType == DType.Float32);
        var output = fused ? Ops.ScaledDotProductAttention.Forward(a) : ComposedAttention(a, out _);
        return a.ThreeD ? output.Squeeze(1) : output;
    }

    /// <summary>
    /// <see cref="ScaledDotProductAttention"/> that also returns the attention probabilities (B, H, L, S) ((N, L, S)
    /// for 3-D inputs), always through the composed path. The weights are taken before dropout (what the model
    /// attends to, not the random mask); rows that may attend no key are 0.
    /// </summary>
    public static (Tensor Output, Tensor Weights) ScaledDotProductAttentionWithWeights(Tensor query, Tensor key, Tensor value,
        Tensor? attnMask = null, double dropoutP = 0.0, bool isCausal = false, double? scale = null, bool enableGqa = false,
        Tensor? keyLengths = null, Generator? generator = null)
    {
        var a = AttentionArgs.Prepare(query, key, value, attnMask, dropoutP, isCausal, scale, enableGqa, keyLengths, generator);
        var output = ComposedAttention(a, out var weights);
        return a.ThreeD ? (output.Squeeze(1), weights.Squeeze(1)) : (output, weights);
    }
}

/// <summary>Validated scaled-dot-product-attention arguments, lifted to 4-D: query (B, H, L, E), key (B, Hkv, S, E),
/// value (B, Hkv, S, Ev), mask broadcastable to (B, H, L, S).</summary>
internal sealed class AttentionArgs
{
    public required Tensor Query, Key, Value;
    public Tensor? Mask;
    public Tensor? KeyLengths;
    public bool IsCausal, ThreeD;
    /// <summary>Causal visibility j ≤ i + CausalOffset: 0 is torch's top-left alignment, S − L bottom-right.</summary>
    public int CausalOffset;
    public double Scale, DropoutP;
    /// <summary>Seed of the dropout hash; drawn from the generator only when dropout is on.</summary>
    public ulong Seed;
    public int B, H, Hkv, L, S, E, Ev;

    const string Op = "scaled_dot_product_attention";

    public static AttentionArgs Prepare(Tensor query, Tensor key, Tensor value, Tensor? mask, double dropoutP, bool isCausal,
        double? scale, bool enableGqa, Tensor? keyLengths, Generator? generator)
    {
        // The shapes as given, formatted only for an error message (a decoding step calls this dozens of times per token).
        Tensor query0 = query, key0 = key, value0 = value;
        static string Shapes(Tensor q, Tensor k, Tensor v) => $"query {Fmt(q)}, key {Fmt(k)}, value {Fmt(v)}";
        if (query.Dim is not (3 or 4) || key.Dim != query.Dim || value.Dim != query.Dim)
            throw new ArgumentException($"{Op}: expected query, key and value all 4-D (B, H, L, E) or all 3-D (N, L, E), got {Shapes(query0, key0, value0)}");
        if (!query.DType.IsFloatingPoint() || key.DType != query.DType || value.DType != query.DType)
            throw new ArgumentException($"{Op}: query, key and value must share one floating dtype, got {query.DType.TorchName()}, " +
                                        $"{key.DType.TorchName()}, {value.DType.TorchName()}");
        bool threeD = query.Dim == 3;
        if (threeD)
        {
            query = query.Unsqueeze(1);
            key = key.Unsqueeze(1);
            value = value.Unsqueeze(1);
        }
        int b = query.Size(0), h = query.Size(1), l = query.Size(2), e = query.Size(3);
        int hkv = key.Size(1), s = key.Size(2), ev = value.Size(3);
        if (key.Size(0) != b || value.Size(0) != b)
            throw new ArgumentException($"{Op}: batch sizes differ: {Shapes(query0, key0, value0)}");
        if (key.Size(3) != e)
            throw new ArgumentException($"{Op}: query and key embedding sizes differ ({e} vs {key.Size(3)}): {Shapes(query0, key0, value0)}");
        if (value.Size(1) != hkv || value.Size(2) != s)
            throw new ArgumentException($"{Op}: key and value must agree in heads and length: {Shapes(query0, key0, value0)}");
        if (hkv != h && !(enableGqa && hkv > 0 && h % hkv == 0))
            throw new ArgumentException(enableGqa
                ? $"{Op}: number of query heads {h} must be a multiple of key/value heads {hkv}: {Shapes(query0, key0, value0)}"
                : $"{Op}: query has {h} heads but key/value have {hkv}; pass enableGqa: true for grouped-query attention: {Shapes(query0, key0, value0)}");
        if (!(dropoutP >= 0 && dropoutP <= 1))
            throw new ArgumentException($"{Op}: dropout probability has to be between 0 and 1, but got {dropoutP}");
        if (isCausal && mask is not null)
            throw new ArgumentException($"{Op}: explicit attn_mask should not be set when is_causal=True");
        if (scale is { } sc && !double.IsFinite(sc))
            throw new ArgumentException($"{Op}: scale must be finite, got {sc}");

        if (mask is not null)
        {
            if (mask.DType != DType.Bool && mask.DType != query.DType)
                throw new ArgumentException($"{Op}: attn_mask must be bool or {query.DType.TorchName()} like the query, got {mask.DType.TorchName()}");
            int[] target = threeD ? [b, l, s] : [b, h, l, s];
            if (!Broadcasts(mask.Shape, target))
                throw new ArgumentException($"{Op}: attn_mask of shape {Fmt(mask)} cannot be broadcast to {ShapeUtil.Format(target)}: {Shapes(query0, key0, value0)}");
            if (threeD && mask.Dim == 3) mask = mask.Unsqueeze(1);
        }
        if (keyLengths is not null)
        {
            if (keyLengths.DType != DType.Int64 || keyLengths.Dim != 1 || keyLengths.Size(0) != b)
                throw new ArgumentException($"{Op}: key_lengths must be an int64 tensor of shape ({b}), got {keyLengths.DType.TorchName()} {Fmt(keyLengths)}");
            foreach (long n in keyLengths.ToInt64Array())
                if (n < 0 || n > s) throw new ArgumentException($"{Op}: key length {n} outside [0, {s}]");
        }
        return new AttentionArgs
        {
            Query = query, Key = key, Value = value, Mask = mask, KeyLengths = keyLengths, IsCausal = isCausal, ThreeD = threeD,
            Scale = scale ?? 1.0 / Math.Sqrt(e), DropoutP = dropoutP,
            Seed = dropoutP > 0 ? DrawSeed(generator ?? Generator.Default) : 0,
            B = b, H = h, Hkv = hkv, L = l, S = s, E = e, Ev = ev,
        };
    }

    /// <summary>One draw, under the generator's lock (a Generator may be shared between threads).</summary>
    static ulong DrawSeed(Generator g)
    {
        lock (g) return g.NextUInt64();
    }

    static bool Broadcasts(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        int lead = to.Length - from.Length;
        for (int i = 0; i < from.Length; i++)
            if (from[i] != 1 && from[i] != to[lead + i]) return false;
        return true;
    }

    static string Fmt(Tensor t) => ShapeUtil.Format(t.Shape);
}
