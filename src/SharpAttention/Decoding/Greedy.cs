using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// Greedy decoding: at every step each row takes its most probable next token (the first on a tie), until it
/// produces the end token or has <c>maxLength</c> new tokens. Batched: B rows at once, a finished row drops out of
/// the batch. With a <see cref="RecomputingDecoder"/> it recomputes the whole prefix each step instead of using a
/// cache — the oracle the cached models are tested against.
/// </summary>
public static class Greedy
{
    /// <summary>Decodes from a start token per row (encoder-decoder models).</summary>
    /// <param name="decoder">the model</param>
    /// <param name="state">its fresh state for B rows (e.g. Seq2SeqTransformer.BeginDecoding(src))</param>
    /// <param name="bosId">start token fed first</param>
    /// <param name="maxLength">most new tokens per row, the end token included</param>
    /// <param name="eosId">end token: a row stops after producing it</param>
    /// <param name="padId">a token never produced (its probability is taken as 0), or null</param>
    /// <returns>one hypothesis per row, in batch order</returns>
    public static IReadOnlyList<Hypothesis> Decode(IIncrementalDecoder decoder, IDecoderState state, long bosId, int maxLength, long eosId,
        long? padId = null) =>
        Decode(decoder, state, DecodeArgs.StartTokens(state, bosId), maxLength, eosId, padId);

    /// <summary>Decodes after a prompt (B, P) of one length per row (decoder-only models); see the other overload.</summary>
    public static IReadOnlyList<Hypothesis> Decode(IIncrementalDecoder decoder, IDecoderState state, Tensor prompt, int maxLength, long eosId,
        long? padId = null) =>
        TokenLoop.Run(decoder, state, prompt, maxLength, eosId, padId, new ArgMax());

    readonly struct ArgMax : ITokenChooser
    {
        // The log-probabilities: the pad token is −∞ there.
        public int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<float> logProbs) => TensorPrimitives.IndexOfMax(logProbs);
    }
}
