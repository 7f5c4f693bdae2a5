using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// One draw from a logits row reshaped the way Hugging Face's samplers reshape it, in their order: temperature
/// (logits / T), top-k (the k most probable tokens; Fan et al. 2018), then top-p (the smallest most-probable set whose
/// probability reaches p; Holtzman et al. 2020), ties broken towards the lower id. <see cref="RepetitionPenalty"/>
/// (Keskar et al. 2019) comes before all of them. The scratch arrays are reused from draw to draw.
/// </summary>
public sealed class SamplingFilter
{
    readonly double[] weights;
    readonly int[] order;

    /// <param name="vocabSize">V</param>
    /// <param name="temperature">T &gt; 0: below 1 sharpens, above 1 flattens</param>
    /// <param name="topK">keep the k most probable tokens; 0 keeps all</param>
    /// <param name="topP">keep the most probable tokens until their probability reaches p, in (0, 1]</param>
    public SamplingFilter(int vocabSize, double temperature = 1.0, int topK = 0, double topP = 1.0)
    {
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampling: temperature must be positive and finite");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "sampling: topK must be ≥ 0 (0 keeps every token)");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "sampling: topP must lie in (0, 1]");
        (Temperature, TopK, TopP) = (temperature, topK, topP);
        weights = new double[vocabSize];
        order = new int[vocabSize];
    }

    public double Temperature { get; }
    public int TopK { get; }
    public double TopP { get; }

    /// <summary>Hugging Face's repetition penalty, in place: each distinct token of <paramref name="seen"/> has a
    /// positive logit divided by <paramref name="penalty"/> and a negative one multiplied by it (1 leaves the logits).</summary>
    public static void RepetitionPenalty(Span<float> logits, IEnumerable<long> seen, double penalty)
    {
        ArgumentNullException.ThrowIfNull(seen);
        CheckPenalty(penalty);
        if (penalty == 1) return;
        foreach (long token in seen.Distinct())
        {
            if ((ulong)token >= (ulong)logits.Length) continue;
            float l = logits[(int)token];
            logits[(int)token] = (float)(l < 0 ? l * penalty : l / penalty);
        }
    }

    internal static void CheckPenalty(double penalty)
    {
        if (!(penalty > 0) || !double.IsFinite(penalty))
            throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "sampling: the repetition penalty must be positive and finite");
    }

    /// <summary>Draws a token from <paramref name="logits"/> (V). Tokens whose <paramref name="logProbs"/> entry is −∞
    /// (a pad token) are never drawn; the draw takes one <see cref="Generator.NextDouble"/>. topK = 1 takes the most
    /// probable token without drawing.</summary>
    public int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<float> logProbs, Generator generator)
    {
        int v = logits.Length;
        if (TopK == 1) return TensorPrimitives.IndexOfMax(logProbs);
        // 1. Weights exp((logit − max) / T), 0 where the token is excluded (pad: log-probability −∞).
        double max = double.NegativeInfinity;
        for (int i = 0; i < v; i++)
            if (!float.IsNegativeInfinity(logProbs[i])) max = Math.Max(max, logits[i]);
        for (int i = 0; i < v; i++)
            weights[i] = float.IsNegativeInfinity(logProbs[i]) ? 0 : Math.Exp((logits[i] - max) / Temperature);

        // 2. Most probable first (ties: lower id), cut to top-k, then to the nucleus.
        int kept = v;
        bool cut = TopK > 0 || TopP < 1;
        if (cut)
        {
            var w = weights;
            for (int i = 0; i < v; i++) order[i] = i;
            Array.Sort(order, 0, v, Comparer<int>.Create((a, b) => w[a] != w[b] ? w[b].CompareTo(w[a]) : a.CompareTo(b)));
            if (TopK > 0) kept = Math.Min(kept, TopK);
            if (TopP < 1)
            {
                double total = 0, cumulative = 0;
                for (int i = 0; i < kept; i++) total += weights[order[i]];
                int n = 0;
                while (n < kept && (n == 0 || cumulative < TopP * total)) cumulative += weights[order[n++]];
                kept = n;
            }
        }

        // 3. One uniform draw over the kept weights.
        double mass = 0;
        for (int i = 0; i < kept; i++) mass += weights[cut ? order[i] : i];
        double u = generator.NextDouble() * mass;
        int last = -1;
        for (int i = 0; i < kept; i++)
        {
            int token = cut ? order[i] : i;
            if (weights[token] <= 0) continue;
            last = token;
            u -= weights[token];
            if (u < 0) return token;
        }
        return last >= 0 ? last : TensorPrimitives.IndexOfMax(logProbs);
    }
}
