using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// A model that decodes one step at a time (fairseq's FairseqIncrementalDecoder): given the tokens of the new
/// positions it returns the next-token logits of the last one, extending its <see cref="IDecoderState"/>. The
/// decoding algorithms (<see cref="Greedy"/>, <see cref="Sampling"/>, <see cref="BeamSearch"/>) take any
/// implementation — a model with a KV cache, or <see cref="RecomputingDecoder"/> over a full forward.
/// </summary>
public interface IIncrementalDecoder
{
    /// <summary>Size of the output vocabulary (V).</summary>
    int VocabSize { get; }

    /// <summary>Most positions a state may hold (the model's longest sequence); int.MaxValue when unlimited.</summary>
    int MaxLength { get; }

    /// <summary>Feeds T new tokens per row and returns the logits that follow the last one.</summary>
    /// <param name="state">made by this model; its Length grows by T</param>
    /// <param name="tokens">Int64 (B, T), T ≥ 1 (a whole prompt may go at once)</param>
    /// <returns>float logits (B, V)</returns>
    Tensor Step(IDecoderState state, Tensor tokens);
}
