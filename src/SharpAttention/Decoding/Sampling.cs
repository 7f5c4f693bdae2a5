using SharpAttention.Tensors;

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
        ArgumentNullException.ThrowIfNull(decoder);
        var chooser = new Draw(generator, temperature, topK, topP, decoder.VocabSize);
        return TokenLoop.Run(decoder, state, prompt, maxLength, eosId, padId, chooser);
    }

    /// <summary>One draw per row through a <see cref="SamplingFilter"/> shared by every step of one call.</summary>
    readonly struct Draw(Generator generator, double temperature, int topK, double topP, int vocab) : ITokenChooser
    {
        readonly SamplingFilter filter = new(vocab, temperature, topK, topP);

        public int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<float> logProbs) => filter.Choose(logits, logProbs, generator);
    }
}
