using SharpAttention.Tensors;

namespace SharpAttention.NN.Positional;

/// <summary>
/// Learned absolute position embeddings (GPT-2's wpe, BERT's position_embeddings): one trained vector per position,
/// added to the input. State_dict key "weight" (maxPositions, D), initialised N(0, 1) as torch.nn.Embedding.
/// </summary>
public sealed class LearnedPositionalEmbedding : Module
{
    public int MaxPositions { get; }
    public int EmbeddingDim { get; }
    public bool BatchFirst { get; }

    /// <summary>(maxPositions, D)</summary>
    public Tensor Weight { get; }

    public LearnedPositionalEmbedding(int maxPositions, int embeddingDim, bool batchFirst = false, DType dtype = DType.Float32,
                                      Generator? generator = null)
    {
        if (maxPositions < 0 || embeddingDim <= 0)
            throw new ArgumentException($"LearnedPositionalEmbedding: need max_positions ≥ 0 and embedding_dim > 0, got {maxPositions} and {embeddingDim}");
        (MaxPositions, EmbeddingDim, BatchFirst) = (maxPositions, embeddingDim, batchFirst);
        Weight = RegisterParameter("weight", Init.Normal_(Tensor.Zeros([maxPositions, embeddingDim], dtype), generator: generator));
    }

    /// <summary>The embeddings of positions offset … offset + length − 1, (length, D) (a differentiable view).</summary>
    public Tensor Embeddings(int length, int offset = 0)
    {
        if (offset < 0 || length < 0 || offset + length > MaxPositions)
            throw new ArgumentException($"LearnedPositionalEmbedding: positions {offset}..{offset + length - 1} exceed max_positions {MaxPositions}");
        return Weight.Narrow(0, offset, length);
    }

    /// <summary>x + W[offset : offset + T]; the gradient reaches the rows used.</summary>
    /// <param name="x">(T, B, D), or (B, T, D) when batch-first</param>
    /// <param name="offset">position of the first step</param>
    public Tensor Forward(Tensor x, int offset = 0)
    {
        if (x.Dim != 3 || x.Size(-1) != EmbeddingDim)
            throw new ArgumentException($"LearnedPositionalEmbedding: expected input (T, B, {EmbeddingDim}) or (B, T, {EmbeddingDim}), got {ShapeUtil.Format(x.Shape)}");
        int t = x.Size(BatchFirst ? 1 : 0);
        var pos = Embeddings(t, offset);                             // (T, D)
        return x + (BatchFirst ? pos : pos.Unsqueeze(1));            // (B, T, D) + (T, D) or (T, B, D) + (T, 1, D)
    }

    protected override string ExtraRepr() => $"{MaxPositions}, {EmbeddingDim}, batch_first={(BatchFirst ? "True" : "False")}";
}
