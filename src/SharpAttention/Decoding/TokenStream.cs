using SharpAttention.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace SharpAttention.Decoding;

/// <summary>One generated token and the model's log-probability of it (temperature 1, before any penalty or cut).</summary>
public readonly record struct GeneratedToken(int Id, double LogProb);

/// <summary>
/// Generation for one sequence, a token at a time, for streaming: after the prompt, each step applies the repetition
/// penalty to the logits (over the prompt and every token so far, as Hugging Face does), then takes the most probable
/// token (<c>filter</c> null) or draws through the <see cref="SamplingFilter"/>, yields it, and feeds it back. Stops
/// after the end token (which is yielded) or <c>maxNewTokens</c>. Works with any <see cref="IIncrementalDecoder"/>, so a
/// <see cref="RecomputingDecoder"/> gives the oracle a KV-cached model is tested against.
/// </summary>
public static class TokenStream
{
    /// <param name="decoder">the model</param>
    /// <param name="state">its fresh state for one row</param>
    /// <param name="prompt">the prompt's ids (at least one)</param>
    /// <param name="maxNewTokens">most tokens to produce</param>
    /// <param name="eosId">end token, or null to run to maxNewTokens</param>
    /// <param name="filter">temperature / top-k / top-p sampling, or null for greedy decoding</param>
    /// <param name="generator">source of the draws (sampling only)</param>
    /// <param name="repetitionPenalty">1 for none; 1.1–1.3 discourages loops</param>
    /// <param name="padId">a token never produced (padding), or null</param>
    public static IEnumerable<GeneratedToken> Generate(IIncrementalDecoder decoder, IDecoderState state, IReadOnlyList<long> prompt,
        int maxNewTokens, long? eosId, SamplingFilter? filter = null, Generator? generator = null, double repetitionPenalty = 1.0, long? padId = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Count == 0) throw new ArgumentException("generation: the prompt needs at least one token (e.g. the end-of-text token)", nameof(prompt));
        if (filter != null) ArgumentNullException.ThrowIfNull(generator);
        if (state?.BatchSize != 1) throw new ArgumentException("generation: the state must hold one row", nameof(state));
        var input = Tensor.FromArray([.. prompt], 1, prompt.Count);
        DecodeArgs.Check(decoder, state, input, maxNewTokens);
        SamplingFilter.CheckPenalty(repetitionPenalty);
        return Run(decoder, state, input, [.. prompt], maxNewTokens, eosId, filter, generator, repetitionPenalty, padId);
    }

    static IEnumerable<GeneratedToken> Run(IIncrementalDecoder decoder, IDecoderState state, Tensor input, List<long> seen, int maxNewTokens,
        long? eosId, SamplingFilter? filter, Generator? generator, double repetitionPenalty, long? padId)
    {
        for (int step = 0; step < maxNewTokens; step++)
        {
            int token;
            double logProb;
            using (TensorScope.Begin())
            {
                var logits = decoder.Step(state, input).Float().Contiguous();    // (1, V)
                var raw = logits.Span<float>().ToArray();
                var logp = DecodeArgs.LogProbs(logits, padId).Span<float>().ToArray();
                SamplingFilter.RepetitionPenalty(raw, seen, repetitionPenalty);
                if (padId is long pad && (ulong)pad < (ulong)raw.Length) raw[pad] = float.NegativeInfinity;
                if (filter == null) token = TensorPrimitives.IndexOfMax(raw);
                else
                {
                    var penalised = repetitionPenalty == 1 ? logp : DecodeArgs.LogProbs(Tensor.FromArray(raw, 1, raw.Length), padId).Span<float>().ToArray();
                    token = filter.Choose(raw, penalised, generator!);
                }
                logProb = logp[token];
            }
            seen.Add(token);
            yield return new GeneratedToken(token, logProb);
            if (token == eosId || step + 1 == maxNewTokens) yield break;
            input = Tensor.FromArray([(long)token], 1, 1);
        }
    }
}
