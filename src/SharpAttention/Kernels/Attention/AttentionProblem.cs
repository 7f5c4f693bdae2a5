namespace SharpAttention.Kernels.Attention;

/// <summary>How an attention mask tensor is read.</summary>
internal enum AttentionMaskKind
{
    None,
    /// <summary>bool, true = may attend (torch SDPA convention).</summary>
    Bool,
    /// <summary>float added to the scaled scores (−∞ blocks).</summary>
    Additive,
}

/// <summary>
/// One scaled-dot-product-attention problem, shared by the fused kernel and its reference twin: query (B, H, L, E),
/// key (B, Hkv, S, E), value (B, Hkv, S, Ev), output (B, H, L, Ev), query head h reading kv head h / (H / Hkv).
/// Visibility of key j to query i: j &lt; keyLengths[b] (when given), mask[b, h, i, j] (when given) and, when
/// <see cref="Causal"/>, j ≤ i + <see cref="CausalOffset"/> (0 = torch's top-left alignment; S − L = bottom-right, the
/// KV-cache case where the L queries are the last L positions).
/// </summary>
internal readonly record struct AttentionProblem(int B, int H, int Hkv, int L, int S, int E, int Ev, double Scale,
    bool Causal = false, int CausalOffset = 0, double DropoutP = 0, ulong Seed = 0)
{
    /// <summary>Query heads per kv head.</summary>
    public int Group => H / Hkv;

    /// <summary>Keys [0, result) that query row i may see before masks and key lengths (causality only).</summary>
    public int CausalEnd(int i) => Causal ? (int)Math.Clamp((long)i + 1 + CausalOffset, 0, S) : S;

    public bool HasDropout => DropoutP > 0;

    /// <summary>Factor on kept probabilities: 1/(1 − p), or 0 when everything is dropped.</summary>
    public double DropoutScale => DropoutP >= 1 ? 0 : 1 / (1 - DropoutP);
}

/// <summary>Element strides of a mask over (B, H, L, S); 0 along broadcast dims.</summary>
internal readonly record struct MaskStrides(long B, long H, long L, long S)
{
    public long Offset(int b, int h, int i, int j) => b * B + h * H + i * L + j * S;
}
