using System.Runtime.CompilerServices;

namespace SharpAttention.Kernels.Attention;

/// <summary>Rows of a (B, H, T, D) float tensor whose last dim is contiguous: row (b, h, i) = P + b·SB + h·SH + i·SL.
/// Strides let the kernel read permuted views such as (B, T, H, D) storage without a copy.</summary>
internal readonly unsafe struct StridedRows(float* p, long sB, long sH, long sL)
{
    public readonly float* P = p;
    public readonly long SB = sB, SH = sH, SL = sL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int b, int h, int i) => P + b * SB + h * SH + i * SL;
}

/// <summary>Everything one fused-attention call reads and writes (the kernel takes pointers, not tensors). The caller
/// pins the buffers for the duration of the call. Forward writes O and Lse; backward reads Q, K, V, O, DO, Lse and
/// overwrites DQ, DK, DV.</summary>
internal unsafe struct FlashArgs
{
    public AttentionProblem P;
    /// <summary>(B, H, L, E), (B, Hkv, S, E), (B, Hkv, S, Ev), (B, H, L, Ev).</summary>
    public StridedRows Q, K, V, O;
    /// <summary>(B, H, L): natural-log logsumexp of each row's scaled, masked scores; +∞ for a row that sees no key.</summary>
    public float* Lse;
    /// <summary>(B) valid keys per batch row, or null.</summary>
    public long* KeyLengths;
    public AttentionMaskKind MaskKind;
    /// <summary>bool* or float* by <see cref="MaskKind"/>, addressed by <see cref="MaskStrides"/> over (B, H, L, S).</summary>
    public void* Mask;
    public MaskStrides MaskStrides;
    /// <summary>Backward only: upstream gradient (B, H, L, Ev) and the gradients to write.</summary>
    public StridedRows DO, DQ, DK, DV;
    /// <summary>Backward only: (B, H, L) scratch for D = rowsum(dO∘O).</summary>
    public float* Delta;
    /// <summary>Backward only: <see cref="FlashBackward.PartialFloats"/> floats of scratch for the partial dQs of
    /// split key ranges (none when there are enough kv heads).</summary>
    public float* DqPartials;

    /// <summary>Keys [0, result) batch row b may see at all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int KeyLength(int b) => KeyLengths == null ? P.S : (int)KeyLengths[b];

    /// <summary>The mask value of (b, h, i, j) in log2 units: 0 / −∞ for bool masks, value·log2(e) for additive ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float MaskBias(long offset) => MaskKind == AttentionMaskKind.Bool
        ? (((bool*)Mask)[offset] ? 0f : float.NegativeInfinity)
        : ((float*)Mask)[offset] * Log2E;

    public const float Log2E = 1.44269504088896341f;
    public const float Ln2 = 0.693147180559945309f;
}
