using SharpAttention.Kernels.Threading;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace SharpAttention.Kernels.Attention;

/// <summary>
/// The forward of attention for a few query rows — a decoding step against a KV cache (FlashDecoding's regime,
/// where the query is one row and the keys are many): each (batch, head, row) computes its visible scores as dot
/// products, their softmax and the weighted sum of value rows, directly. <see cref="FlashForward"/>'s tiles (a vector of rows)
/// would compute 4 to 16 rows to use one. Same problem, visibility (key lengths, masks, causal offset), grouped-query heads
/// and outputs as FlashForward — O, and lse in natural log; O = 0 and lse = +∞ for a row that sees no key — so the
/// fused backward runs on its results unchanged; no dropout (FlashForward keeps that). Items are rows, each summed
/// by one thread in a fixed order: bit-identical for any thread count. Reference twin: AttentionReference.Forward.
/// </summary>
internal static unsafe class DecodeAttention
{
    /// <summary>Most query rows per head this path takes.</summary>
    public const int MaxRows = 4;

    /// <summary>Multiply-adds below which one thread does the whole call (as for the GEMV path).</summary>
    const long MinParallel = 1L << 20;

    public static bool Applies(in AttentionProblem p) => p.L <= MaxRows && !p.HasDropout;

    [ThreadStatic] static float[]? scores;

    public static void Run(in FlashArgs args)
    {
        var p = args.P;
        int rows = p.B * p.H * p.L;
        if (rows == 0 || p.Ev == 0) return;
        long cost = (long)p.S * (p.E + p.Ev);
        fixed (FlashArgs* a = &args)
        {
            // A step of a few heads over a short cache takes microseconds: threads only for long caches or big batches.
            if (rows * cost < MinParallel) new Body(a).Run(0, rows);
            else ChunkedFor.Each(rows, cost, new Body(a));
        }
    }

    readonly struct Body(FlashArgs* a) : IRangeBody
    {
        public void Run(int start, int end)
        {
            if (scores is null || scores.Length < a->P.S) scores = new float[Math.Max(a->P.S, 256)];
            fixed (float* s = scores)
                for (int r = start; r < end; r++)
                {
                    int i = r % a->P.L, bh = r / a->P.L;
                    Row(a, bh / a->P.H, bh % a->P.H, i, s);
                }
        }
    }

    /// <summary>1. Scores of the visible keys; 2. their softmax (max subtracted); 3. O = Σ p·v / Σ p.</summary>
    static void Row(FlashArgs* a, int b, int h, int i, float* s)
    {
        ref readonly var p = ref a->P;
        int kvh = h / p.Group, end = Math.Min(a->KeyLength(b), p.CausalEnd(i));
        var q = new ReadOnlySpan<float>(a->Q.Row(b, h, i), p.E);
        var o = new Span<float>(a->O.Row(b, h, i), p.Ev);
        float* lse = a->Lse + ((long)b * p.H + h) * p.L + i;
        float scale = (float)p.Scale, max = float.NegativeInfinity;
        for (int j = 0; j < end; j++)
        {
            float x = TensorPrimitives.Dot(q, new ReadOnlySpan<float>(a->K.Row(b, kvh, j), p.E)) * scale;
            if (a->MaskKind != AttentionMaskKind.None) x += Bias(a, a->MaskStrides.Offset(b, h, i, j));
            s[j] = x;
            max = MathF.Max(max, x);   // NaN stays NaN
        }
        o.Clear();
        if (float.IsNegativeInfinity(max))
        {
            *lse = float.PositiveInfinity;
            return;
        }
        float sum = 0;
        for (int j = 0; j < end; j++)
        {
            float w = MathF.Exp(s[j] - max);
            sum += w;
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a->V.Row(b, kvh, j), p.Ev), w, o, o);
        }
        TensorPrimitives.Multiply(o, 1 / sum, o);
        *lse = max + MathF.Log(sum);
    }

    /// <summary>The mask's term in natural units: 0 / −∞ for a bool mask, the value of an additive one.</summary>
    static float Bias(FlashArgs* a, long offset) => a->MaskKind == AttentionMaskKind.Bool
        ? (((bool*)a->Mask)[offset] ? 0f : float.NegativeInfinity)
        : ((float*)a->Mask)[offset];
}
