using SharpAttention.Decoding;
using SharpAttention.NN;
using SharpAttention.NN.Attention;

namespace SharpAttention.Models;

/// <summary>
/// One incremental decoding run of a <see cref="Seq2SeqTransformer"/> or <see cref="CausalLanguageModel"/>: a
/// self-attention <see cref="KvCache"/> per decoder layer, and for the encoder-decoder the memory projected once per
/// layer. Made by the model's BeginDecoding, extended by its Step, reordered by beam search. Disposing it (optional)
/// hands the caches' buffers back to the storage pool at once — worth a <c>using</c> when decoding batch after batch.
/// </summary>
public sealed class DecoderState : IDecoderState, IDisposable
{
    readonly KvCache[] selfAttention;
    readonly KvCache[]? memory;

    internal DecoderState(Module owner, KvCache[] selfAttention, KvCache[]? memory, int batchSize)
    {
        (Owner, this.selfAttention, this.memory, BatchSize) = (owner, selfAttention, memory, batchSize);
    }

    /// <summary>The model that made the state; only it can step it.</summary>
    internal Module Owner { get; }

    public int BatchSize { get; private set; }

    public int Length { get; internal set; }

    /// <summary>Per decoder layer: the keys and values of every position fed so far.</summary>
    public IReadOnlyList<KvCache> SelfAttention => selfAttention;

    /// <summary>Per decoder layer: the encoder memory's keys and values (encoder-decoder models), else null.</summary>
    public IReadOnlyList<KvCache>? Memory => memory;

    public void Reorder(ReadOnlySpan<int> rows)
    {
        foreach (int r in rows)
            if ((uint)r >= (uint)BatchSize) throw new ArgumentOutOfRangeException(nameof(rows), r, $"DecoderState: row index outside [0, {BatchSize})");
        foreach (var cache in selfAttention) cache.Reorder(rows);
        foreach (var cache in memory ?? []) cache.Reorder(rows);
        BatchSize = rows.Length;
    }

    /// <summary>Releases every cache (<see cref="KvCache.Release"/>); the state cannot be stepped afterwards.</summary>
    public void Dispose()
    {
        foreach (var cache in selfAttention) cache.Release();
        foreach (var cache in memory ?? []) cache.Release();
    }

    /// <summary><paramref name="state"/> as a state of <paramref name="model"/>, with the batch of <paramref name="tokens"/>.</summary>
    internal static DecoderState Of(Module model, IDecoderState state, Tensors.Tensor tokens, string name)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state is not DecoderState s || !ReferenceEquals(s.Owner, model))
            throw new ArgumentException($"{name}: the state was not made by this model's BeginDecoding", nameof(state));
        ModelParts.CheckIds(name, tokens, int.MaxValue, limitLength: false);
        if (tokens.Size(0) != s.BatchSize || tokens.Size(1) < 1)
            throw new ArgumentException($"{name}: expected tokens ({s.BatchSize}, T ≥ 1) for a state of {s.BatchSize} rows, got " +
                                        $"{Tensors.ShapeUtil.Format(tokens.Shape)}", nameof(tokens));
        if (model.Training)
            throw new InvalidOperationException($"{name}: incremental decoding runs in eval mode; call Eval() first (dropout would make each step random)");
        return s;
    }
}
