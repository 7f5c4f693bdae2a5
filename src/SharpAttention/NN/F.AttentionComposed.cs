using SharpAttention.Autograd;
using SharpAttention.Kernels.Attention;
using SharpAttention.Tensors;

namespace SharpAttention.NN;

// The composed twin of the fused attention kernel (nanoGPT's "manual" attention): every step an autograd primitive,
// so backward comes for free and the fused kernel has something independent to agree with. Materialises (B, H, L, S).
public static partial class F
{
    internal static Tensor ComposedAttention(AttentionArgs a, out Tensor weights)
    {
        var (q, k, v) = (a.Query, a.Key, a.Value);   // (B, H, L, E), (B, Hkv, S, E), (B, Hkv, S, Ev)

        // 1. Grouped-query attention: kv head g serves query heads g·G … g·G + G − 1, so repeat each kv head G times.
        if (a.Hkv != a.H)
        {
            k = RepeatKv(k, a.H / a.Hkv);   // (B, H, S, E)
            v = RepeatKv(v, a.H / a.Hkv);   // (B, H, S, Ev)
        }

        // 2. Scores: Q·Kᵀ·scale, (B, H, L, S).
        var scores = q.MatMul(k.Transpose(-2, -1)) * a.Scale;

        // 3. Masks: bool true = may attend (−∞ elsewhere), float added; causal and key lengths block keys.
        if (a.Mask is { } mask)
            scores = mask.DType == DType.Bool ? scores.MaskedFill(mask.LogicalNot(), double.NegativeInfinity) : scores + mask;
        if (BlockedKeys(a) is { } blocked) scores = scores.MaskedFill(blocked, double.NegativeInfinity);

        // 4. Softmax over keys. A row with no key left (all −∞) would be NaN: softmax a row of zeros instead and zero
        //    the result, which also zeroes its gradient (masked_fill passes no gradient through filled positions).
        Tensor probs = scores;   // (B, H, L, S); with no keys at all it is empty and the output all zeros
        if (a.S > 0)
        {
            Tensor dead;   // (B, H, L, 1)
            using (GradMode.NoGrad()) dead = scores.Detach().Max(-1, keepdim: true).Values.Eq(double.NegativeInfinity);
            probs = scores.MaskedFill(dead, 0).Softmax(-1).MaskedFill(dead, 0);
        }
        weights = probs;

        // 5. Dropout on the probabilities with the fused kernel's counter-based mask, scaled by 1/(1 − p).
        if (a.DropoutP > 0) probs = a.DropoutP >= 1 ? probs * 0.0 : probs.MaskedFill(DropoutKeep(a).LogicalNot(), 0) * (1 / (1 - a.DropoutP));

        // 6. Weighted sum of values, (B, H, L, Ev).
        return probs.MatMul(v);
    }

    /// <summary>(B, Hkv, S, D) → (B, Hkv·G, S, D) with each kv head repeated G times in a row.</summary>
    static Tensor RepeatKv(Tensor x, int groups)
    {
        int b = x.Size(0), hkv = x.Size(1), s = x.Size(2), d = x.Size(3);
        return x.Unsqueeze(2).Expand(b, hkv, groups, s, d).Reshape(b, hkv * groups, s, d);
    }

    /// <summary>True where causality or key lengths forbid a key: (L, S), (B, 1, 1, S) or (B, 1, L, S); null if neither.</summary>
    static Tensor? BlockedKeys(AttentionArgs a)
    {
        Tensor? blocked = null;
        var keyIndex = Tensor.Arange(a.S, DType.Float64);   // (S)
        if (a.IsCausal)   // (L, S): j > i + offset
            blocked = keyIndex.View(1, a.S).Gt(Tensor.Arange(a.L, DType.Float64).View(a.L, 1) + a.CausalOffset);
        if (a.KeyLengths is { } lengths)
        {
            var padded = keyIndex.View(1, 1, 1, a.S).Ge(lengths.To(DType.Float64).View(a.B, 1, 1, 1));   // (B, 1, 1, S)
            blocked = blocked is null ? padded : blocked.LogicalOr(padded);
        }
        return blocked;
    }

    /// <summary>The fused kernel's dropout keep-mask for these arguments, (B, H, L, S).</summary>
    internal static Tensor DropoutKeep(AttentionArgs a)
    {
        var keep = Tensor.Empty([a.B, a.H, a.L, a.S], DType.Bool);
        AttentionDropout.FillKeepMask(keep.Span<bool>(), a.Seed, a.B, a.H, a.L, a.S, a.DropoutP);
        return keep;
    }
}
