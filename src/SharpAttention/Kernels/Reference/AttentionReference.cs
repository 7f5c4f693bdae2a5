using SharpAttention.Kernels.Attention;

namespace SharpAttention.Kernels.Reference;

/// <summary>
/// Naive twin of the fused attention kernel: per query row, the textbook max-subtracted softmax over a full row of
/// scores, in double, one element at a time. Contiguous inputs: q (B, H, L, E), k (B, Hkv, S, E), v (B, Hkv, S, Ev).
/// Same conventions as the fused kernel: lse is the natural-log logsumexp of the scaled, masked scores per row, +∞ for a
/// row that sees no key (its output and gradients are 0); dropout uses <see cref="AttentionDropout"/>'s mask.
/// Gradients are overwritten. Also the float64 path of the fused op, so it allocates only O(S).
/// </summary>
internal static class AttentionReference
{
    public static void Forward(Span<double> o, Span<double> lse, ReadOnlySpan<double> q, ReadOnlySpan<double> k, ReadOnlySpan<double> v,
        in AttentionProblem p, ReadOnlySpan<long> keyLengths, AttentionMaskKind maskKind, ReadOnlySpan<bool> boolMask,
        ReadOnlySpan<double> addMask, MaskStrides ms)
    {
        var s = new double[p.S];
        for (int b = 0; b < p.B; b++)
            for (int h = 0; h < p.H; h++)
            {
                int kvh = b * p.Hkv + h / p.Group;
                uint headKey = AttentionDropout.HeadKey(p.Seed, b * p.H + h);
                for (int i = 0; i < p.L; i++)
                {
                    int row = (b * p.H + h) * p.L + i;
                    double max = Scores(s, q, k, p, keyLengths, maskKind, boolMask, addMask, ms, b, h, kvh, i);
                    var oRow = o.Slice(row * p.Ev, p.Ev);
                    oRow.Clear();
                    if (double.IsNegativeInfinity(max))
                    {
                        lse[row] = double.PositiveInfinity;
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < p.S; j++) sum += Math.Exp(s[j] - max);
                    lse[row] = max + Math.Log(sum);
                    uint rowKey = AttentionDropout.RowKey(headKey, i);
                    for (int j = 0; j < p.S; j++)
                    {
                        double w = Math.Exp(s[j] - max) / sum * Dropped(p, rowKey, j);
                        for (int e = 0; e < p.Ev; e++) oRow[e] += w * v[(kvh * p.S + j) * p.Ev + e];
                    }
                }
            }
    }

    public static void Backward(Span<double> dq, Span<double> dk, Span<double> dv, ReadOnlySpan<double> dO,
        ReadOnlySpan<double> q, ReadOnlySpan<double> k, ReadOnlySpan<double> v, ReadOnlySpan<double> o, ReadOnlySpan<double> lse,
        in AttentionProblem p, ReadOnlySpan<long> keyLengths, AttentionMaskKind maskKind, ReadOnlySpan<bool> boolMask,
        ReadOnlySpan<double> addMask, MaskStrides ms)
    {
        dq.Clear();
        dk.Clear();
        dv.Clear();
        var s = new double[p.S];
        for (int b = 0; b < p.B; b++)
            for (int h = 0; h < p.H; h++)
            {
                int kvh = b * p.Hkv + h / p.Group;
                uint headKey = AttentionDropout.HeadKey(p.Seed, b * p.H + h);
                for (int i = 0; i < p.L; i++)
                {
                    int row = (b * p.H + h) * p.L + i;
                    if (double.IsPositiveInfinity(lse[row])) continue;   // sees no key: all gradients 0
                    Scores(s, q, k, p, keyLengths, maskKind, boolMask, addMask, ms, b, h, kvh, i);
                    // D = Σ_e dO·O, which equals Σ_j P∘dP (dropout included).
                    double d = 0;
                    for (int e = 0; e < p.Ev; e++) d += dO[row * p.Ev + e] * o[row * p.Ev + e];
                    uint rowKey = AttentionDropout.RowKey(headKey, i);
                    for (int j = 0; j < p.S; j++)
                    {
                        double prob = Math.Exp(s[j] - lse[row]), drop = Dropped(p, rowKey, j);
                        if (prob == 0) continue;
                        double dp = 0;
                        for (int e = 0; e < p.Ev; e++)
                        {
                            dp += dO[row * p.Ev + e] * v[(kvh * p.S + j) * p.Ev + e];
                            dv[(kvh * p.S + j) * p.Ev + e] += prob * drop * dO[row * p.Ev + e];
                        }
                        double ds = prob * (dp * drop - d) * p.Scale;
                        for (int c = 0; c < p.E; c++)
                        {
                            dq[row * p.E + c] += ds * k[(kvh * p.S + j) * p.E + c];
                            dk[(kvh * p.S + j) * p.E + c] += ds * q[row * p.E + c];
                        }
                    }
                }
            }
    }

    /// <summary>Scaled, masked scores of query row i into s (−∞ where blocked); returns their max.</summary>
    static double Scores(Span<double> s, ReadOnlySpan<double> q, ReadOnlySpan<double> k, in AttentionProblem p,
        ReadOnlySpan<long> keyLengths, AttentionMaskKind maskKind, ReadOnlySpan<bool> boolMask, ReadOnlySpan<double> addMask,
        MaskStrides ms, int b, int h, int kvh, int i)
    {
        int row = (b * p.H + h) * p.L + i;
        long end = Math.Min(p.CausalEnd(i), keyLengths.IsEmpty ? p.S : keyLengths[b]);
        double max = double.NegativeInfinity;
        for (int j = 0; j < p.S; j++)
        {
            double x = double.NegativeInfinity;
            if (j < end && (maskKind != AttentionMaskKind.Bool || boolMask[(int)ms.Offset(b, h, i, j)]))
            {
                x = 0;
                for (int c = 0; c < p.E; c++) x += q[row * p.E + c] * k[(kvh * p.S + j) * p.E + c];
                x *= p.Scale;
                if (maskKind == AttentionMaskKind.Additive) x += addMask[(int)ms.Offset(b, h, i, j)];
            }
            s[j] = x;
            max = Math.Max(max, x);
        }
        return max;
    }

    /// <summary>The dropout factor of P[i, j]: 1/(1 − p) if kept, 0 if dropped, 1 without dropout.</summary>
    static double Dropped(in AttentionProblem p, uint rowKey, int j) =>
        !p.HasDropout ? 1 : AttentionDropout.Keep(rowKey, j, AttentionDropout.Threshold(p.DropoutP)) && p.DropoutP < 1 ? p.DropoutScale : 0;
}
