using SharpAttention.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace SharpAttention.Decoding;

/// <summary>
/// Ancestral sampling: each row draws its next token from the model's distribution reshaped by a temperature
/// (logits / T), cut to the <c>topK</c> most probable tokens (Fan et al. 2018) and to the smallest set whose
/// probability reaches <c>topP</c> (nucleus sampling, Holtzman et al. 2020), in that order. Draws come from the
/// caller's <see cref="Generator"/> in row order, so the same seed gives the same samples. topK = 1, a tiny
/// temperature or a tiny topP give greedy decoding. Batched and stopped per row as <see cref="Greedy"/>; Score is the
/// model's own log-probability (temperature 1, no cut) of the tokens drawn.
/// </summary>
public static class Sampling
{
    /// <summary>Samples from a start token per row (encoder-decoder models).</summary>
    /// <param name="decoder">the model</param>
    /// <param name="state">its fresh state for B rows</param>
    /// <param name="bosId">start token</param>
    /// <param name="maxLength">most new tokens per row, the end token included</param>
    /// <param name="eosId">end token</param>
    /// <param name="generator">source of the draws</param>
    /// <param name="temperature">T &gt; 0: below 1 sharpens, above 1 flattens</param>
    /// <param name="topK">keep the k most probable tokens; 0 keeps all</param>
    /// <param name="topP">keep the most probable tokens until their probability reaches p, in (0, 1]</param>
    /// <param name="padId">a token never produced, or null</param>
    public static IReadOnlyList<Hypothesis> Decode(IIncrementalDecoder decoder, IDecoderState state, long bosId, int maxLength, long eosId,
        Generator generator, double temperature = 1.0, int topK = 0, double topP = 1.0, long? padId = null) =>
        Decode(decoder, state, DecodeArgs.StartTokens(state, bosId), maxLength, eosId, generator, temperature, topK, topP, padId);

    /// <summary>Samples after a prompt (B, P) of one length per row (decoder-only models); see the other overload.</summary>
    public static IReadOnlyList<Hypothesis> Decode(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, int maxLength, long eosId,
        Generator generator, double temperature = 1.0, int topK = 0, double topP = 1.0, long? padId = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "sampling: temperature must be positive and finite");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "sampling: topK must be ≥ 0 (0 keeps every token)");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "sampling: topP must lie in (0, 1]");
        ArgumentNullException.ThrowIfNull(decoder);
        var chooser = new Draw(generator, temperature, topK, topP, decoder.VocabSize);
        return TokenLoop.Run(decoder, state, prompt, maxLength, eosId, padId, chooser);
    }

    /// <summary>One draw per row; the scratch arrays are shared by every step of one call.</summary>
    readonly struct Draw(Generator generator, double temperature, int topK, double topP, int vocab) : ITokenChooser
    {
        readonly double[] weights = new double[vocab];
        readonly int[] order = new int[vocab];

        public int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<float> logProbs)
        {
            int v = logits.Length;
            if (topK == 1) return TensorPrimitives.IndexOfMax(logProbs);
            // 1. Weights exp((logit − max) / T), 0 where the token is excluded (pad: log-probability −∞).
            double max = double.NegativeInfinity;
            for (int i = 0; i < v; i++)
                if (!float.IsNegativeInfinity(logProbs[i])) max = Math.Max(max, logits[i]);
            for (int i = 0; i < v; i++)
                weights[i] = float.IsNegativeInfinity(logProbs[i]) ? 0 : Math.Exp((logits[i] - max) / temperature);

            // 2. Most probable first (ties: lower id), cut to top-k, then to the nucleus.
            int kept = v;
            bool cut = topK > 0 || topP < 1;
            if (cut)
            {
                var w = weights;
                for (int i = 0; i < v; i++) order[i] = i;
                Array.Sort(order, 0, v, Comparer<int>.Create((a, b) => w[a] != w[b] ? w[b].CompareTo(w[a]) : a.CompareTo(b)));
                if (topK > 0) kept = Math.Min(kept, topK);
                if (topP < 1)
                {
                    double total = 0, cumulative = 0;
                    for (int i = 0; i < kept; i++) total += weights[order[i]];
                    int n = 0;
                    while (n < kept && (n == 0 || cumulative < topP * total)) cumulative += weights[order[n++]];
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
}
