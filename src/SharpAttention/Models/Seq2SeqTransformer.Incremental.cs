using SharpAttention.Autograd;
using SharpAttention.Decoding;
using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

// Incremental decoding: the source is encoded once, each step feeds only the new target positions.
public sealed partial class Seq2SeqTransformer : IIncrementalDecoder
{
    int IIncrementalDecoder.VocabSize => Config.TgtVocabSize;

    int IIncrementalDecoder.MaxLength => Config.MaxLen;

    /// <summary>
    /// Encodes <paramref name="src"/> and projects the memory once per decoder layer (with the source padding, which
    /// every step then applies), and opens an empty self-attention cache per layer. Call <see cref="Step"/> with the
    /// start token next. Eval mode only.
    /// </summary>
    /// <param name="src">Int64 (B, S), padded with PadId</param>
    /// <param name="capacity">target positions to preallocate (grows by doubling up to MaxLen); 0 for min(MaxLen, 64)</param>
    public DecoderState BeginDecoding(Tensor src, int capacity = 0)
    {
        if (Training) throw new InvalidOperationException("Seq2SeqTransformer: incremental decoding runs in eval mode; call Eval() first");
        using var _ = GradMode.NoGrad();
        var (memory, srcPad) = Encode(src);                                       // (B, S, E), (B, S)
        var memoryCaches = Transformer.Decoder.ProjectMemory(memory, srcPad);
        int b = src.Size(0), cap = capacity > 0 ? capacity : Math.Min(Config.MaxLen, 64);
        var selfCaches = Transformer.Decoder.Layers.Select(layer => new KvCache(b, layer.SelfAttn.NumKvHeads, layer.SelfAttn.HeadDim, cap,
            Config.MaxLen, memory.DType)).ToArray();
        return new DecoderState(this, selfCaches, memoryCaches, b);
    }

    /// <summary>
    /// Feeds T new target tokens per row (their positions start at state.Length) and returns the logits that follow
    /// the last: the same numbers <see cref="Decode"/> gives at that position for the whole prefix (a PadId token fed
    /// here is attended like any other, where Decode masks it).
    /// </summary>
    /// <param name="state">from <see cref="BeginDecoding"/></param>
    /// <param name="tokens">Int64 (B, T)</param>
    /// <returns>logits (B, V)</returns>
    public Tensor Step(IDecoderState state, Tensor tokens)
    {
        var s = DecoderState.Of(this, state, tokens, nameof(Seq2SeqTransformer));
        int t = tokens.Size(1);
        if (s.Length + t > Config.MaxLen)
            throw new ArgumentException($"Seq2SeqTransformer: target positions {s.Length}..{s.Length + t - 1} exceed max_len {Config.MaxLen}", nameof(tokens));
        using var _ = GradMode.NoGrad();
        using var scope = ForwardScope.Begin();                                   // the caches' buffers are outside any scope
        var x = Embed(TgtEmbedding, TgtPosition, tokens, s.Length);              // (B, T, E)
        var y = Transformer.Decoder.ForwardIncremental(x, s.SelfAttention, s.Memory!);   // (B, T, E)
        s.Length += t;
        return scope.Keep(OutputProjection.Forward(y.Select(1, t - 1)));          // (B, V)
    }
}
