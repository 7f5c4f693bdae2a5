using SharpAttention.Autograd;
using SharpAttention.Decoding;
using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

// Incremental decoding: each step feeds only the new positions; keys and values of earlier ones are cached.
public sealed partial class CausalLanguageModel : IIncrementalDecoder
{
    int IIncrementalDecoder.VocabSize => Config.VocabSize;

    /// <summary>Learned positions end at MaxLen; sinusoidal and rotary ones do not.</summary>
    int IIncrementalDecoder.MaxLength => Config.Positions == PositionEncoding.Learned ? Config.MaxLen : int.MaxValue;

    /// <summary>Opens an empty self-attention cache per layer for <paramref name="batchSize"/> sequences; feed the prompt
    /// (all rows of one length) with the first <see cref="Step"/>. Eval mode only.</summary>
    /// <param name="batchSize">B</param>
    /// <param name="capacity">positions to preallocate (grows by doubling); 0 for min(MaxLen, 64)</param>
    public DecoderState BeginDecoding(int batchSize, int capacity = 0)
    {
        if (Training) throw new InvalidOperationException("CausalLanguageModel: incremental decoding runs in eval mode; call Eval() first");
        if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "CausalLanguageModel: batch size must be non-negative");
        int? maxLength = Config.Positions == PositionEncoding.Learned ? Config.MaxLen : null;
        int cap = capacity > 0 ? capacity : Math.Min(Config.MaxLen, 64);
        var caches = Layers.Select(layer => new KvCache(batchSize, layer.SelfAttn.NumKvHeads, layer.SelfAttn.HeadDim, cap, maxLength,
            TokenEmbedding.Weight.DType)).ToArray();
        return new DecoderState(this, caches, null, batchSize);
    }

    /// <summary>Feeds T new tokens per row (positions from state.Length on) and returns the logits that follow the last:
    /// the numbers <see cref="Forward"/> gives at that position for the whole sequence.</summary>
    /// <param name="state">from <see cref="BeginDecoding"/></param>
    /// <param name="tokens">Int64 (B, T)</param>
    /// <returns>logits (B, V)</returns>
    public Tensor Step(IDecoderState state, Tensor tokens)
    {
        var s = DecoderState.Of(this, state, tokens, nameof(CausalLanguageModel));
        int t = tokens.Size(1), offset = s.Length;
        if (Config.Positions == PositionEncoding.Learned && offset + t > Config.MaxLen)
            throw new ArgumentException($"CausalLanguageModel: positions {offset}..{offset + t - 1} exceed max_len {Config.MaxLen}", nameof(tokens));
        using var _ = GradMode.NoGrad();
        using var scope = ForwardScope.Begin();                                   // the caches' buffers are outside any scope
        var x = Embed(tokens, offset);                                            // (B, T, E)
        var bias = Config.Positions == PositionEncoding.Alibi ? AlibiBias(1, t, offset) : null;   // (H, T, S), broadcast over B
        for (int i = 0; i < Layers.Count; i++) x = Layers[i].ForwardIncremental(x, s.SelfAttention[i], bias);
        s.Length += t;
        var last = x.Select(1, t - 1);                                            // (B, E)
        last = Norm is RmsNorm rms ? rms.Forward(last) : ((LayerNorm)Norm).Forward(last);
        return scope.Keep(LmHead.Forward(last));                                  // (B, V)
    }
}
