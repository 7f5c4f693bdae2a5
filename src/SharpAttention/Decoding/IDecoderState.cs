namespace SharpAttention.Decoding;

/// <summary>
/// What a model keeps between decoding steps for a batch of sequences (its key/value caches, or the prefix it
/// recomputes), opaque to the decoding algorithms: they only feed it tokens through
/// <see cref="IIncrementalDecoder.Step"/> and move its rows about (minGPT's rule: decoding knows nothing of a model).
/// </summary>
public interface IDecoderState
{
    /// <summary>Rows (sequences) in the batch.</summary>
    int BatchSize { get; }

    /// <summary>Tokens fed so far per row: the position the next token takes.</summary>
    int Length { get; }

    /// <summary>Row i becomes old row <paramref name="rows"/>[i]: beam search's reordering after each step; a row
    /// repeated expands the batch (one source to several beams), rows left out are dropped (finished sequences).</summary>
    void Reorder(ReadOnlySpan<int> rows);
}
