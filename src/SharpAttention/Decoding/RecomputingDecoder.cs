using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Decoding;

/// <summary>
/// An <see cref="IIncrementalDecoder"/> with no cache: its state is the prefix fed so far, and every step runs a
/// full forward over it and keeps the last position's logits. The oracle the cached models are tested against
/// (each step costs the whole prefix, as torch.nn without a cache does), and a way to decode with any model that
/// only has a full forward.
/// </summary>
public sealed class RecomputingDecoder : IIncrementalDecoder
{
    readonly Func<Tensor, int[], Tensor> forward;

    /// <param name="forward">(prefix Int64 (B, T), rows) → logits (B, T, V), where rows[i] is the batch row (as it was
    /// when the state began) that state row i continues — so per-row inputs such as an encoder's source follow beam
    /// search's reordering: e.g. <c>(prefix, rows) =&gt; model.Forward(src.IndexSelect(0, rowsTensor), prefix)</c></param>
    /// <param name="vocabSize">V</param>
    /// <param name="maxLength">longest prefix the model takes</param>
    public RecomputingDecoder(Func<Tensor, int[], Tensor> forward, int vocabSize, int maxLength = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (vocabSize <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "RecomputingDecoder: vocab size must be positive");
        (this.forward, VocabSize, MaxLength) = (forward, vocabSize, maxLength);
    }

    public int VocabSize { get; }

    public int MaxLength { get; }

    /// <summary>An empty prefix for <paramref name="batchSize"/> rows.</summary>
    public IDecoderState BeginDecoding(int batchSize) => new State(batchSize);

    public Tensor Step(IDecoderState state, Tensor tokens)
    {
        if (state is not State s) throw new ArgumentException("RecomputingDecoder: the state was not made by BeginDecoding", nameof(state));
        if (tokens.DType != DType.Int64 || tokens.Dim != 2 || tokens.Size(0) != s.BatchSize || tokens.Size(1) < 1)
            throw new ArgumentException($"RecomputingDecoder: expected int64 tokens ({s.BatchSize}, T ≥ 1), got {ShapeUtil.Format(tokens.Shape)}", nameof(tokens));
        using var _ = GradMode.NoGrad();
        s.Prefix = (s.Prefix is null ? tokens.Clone() : Tensor.Cat([s.Prefix, tokens], 1)).DetachFromScope();
        var logits = forward(s.Prefix, s.Rows);   // (B, T, V)
        return logits.Select(1, logits.Size(1) - 1);
    }

    sealed class State(int batchSize) : IDecoderState
    {
        public Tensor? Prefix;   // (B, T) Int64
        public int[] Rows = [.. Enumerable.Range(0, batchSize)];

        public int BatchSize => Rows.Length;

        public int Length => Prefix?.Size(1) ?? 0;

        public void Reorder(ReadOnlySpan<int> rows)
        {
            var index = new long[rows.Length];
            var picked = new int[rows.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                if ((uint)rows[i] >= (uint)Rows.Length)
                    throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"RecomputingDecoder: row index outside [0, {Rows.Length})");
                (index[i], picked[i]) = (rows[i], Rows[rows[i]]);
            }
            if (Prefix is not null) Prefix = Prefix.IndexSelect(0, Tensor.FromArray(index, index.Length)).DetachFromScope();
            Rows = picked;
        }
    }
}
