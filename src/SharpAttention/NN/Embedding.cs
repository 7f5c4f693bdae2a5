using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of size <see cref="EmbeddingDim"/> (PyTorch's
/// torch.nn.Embedding); state_dict key "weight" (V, D). Initialised as torch does, N(0, 1), with the
/// <see cref="PaddingIdx"/> row then set to zero; that row never receives a gradient, so it stays as loaded or
/// initialised while training. The functional twin is <see cref="F.Embedding"/>.
/// </summary>
public sealed class Embedding : Module
{
    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }

    /// <summary>The row that gets no gradient, already made non-negative (torch stores padding_idx + V for a negative one).</summary>
    public int? PaddingIdx { get; }

    /// <summary>(V, D)</summary>
    public Tensor Weight { get; }

    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, DType dtype = DType.Float32, Generator? generator = null)
        : this(numEmbeddings, embeddingDim, paddingIdx, Tensor.Zeros([Math.Max(numEmbeddings, 0), Math.Max(embeddingDim, 0)], dtype))
    {
        ResetParameters(generator);
    }

    Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx, Tensor weight)
    {
        if (numEmbeddings < 0 || embeddingDim < 0)
            throw new ArgumentException($"Embedding: num_embeddings and embedding_dim must be non-negative, got {numEmbeddings} and {embeddingDim}");
        if (paddingIdx is int p && (p >= numEmbeddings || p < -numEmbeddings))
            throw new ArgumentException($"Embedding: padding_idx {p} must be within num_embeddings {numEmbeddings}");
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        Weight = RegisterParameter("weight", weight);
    }

    /// <summary>An embedding holding a copy of <paramref name="embeddings"/> (V, D) (torch's Embedding.from_pretrained);
    /// with <paramref name="freeze"/> the weight is not trained (RequiresGrad false). The padding row is kept as given.</summary>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Dim != 2 || !embeddings.DType.IsFloatingPoint())
            throw new ArgumentException($"Embedding.FromPretrained: embeddings must be a 2-D float tensor, got {embeddings.DType.TorchName()} {ShapeUtil.Format(embeddings.Shape)}");
        var e = new Embedding(embeddings.Size(0), embeddings.Size(1), paddingIdx, embeddings.Detach().Clone());
        e.Weight.RequiresGrad = !freeze;
        return e;
    }

    /// <summary>Redraws the weight from N(0, 1) and zeroes the padding row (torch's reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        using (Autograd.GradMode.NoGrad())
        {
            Init.Normal_(Weight, generator: generator);
            if (PaddingIdx is int p) Weight.Select(0, p).Zero_();
        }
    }

    /// <param name="ids">Int64 (...) in [0, V)</param>
    /// <returns>(..., D)</returns>
    public Tensor Forward(Tensor ids) => F.Embedding(ids, Weight, PaddingIdx);

    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", padding_idx={p}" : "");
}
