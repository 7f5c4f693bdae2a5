using SharpAttention.NN.Transformers;

namespace SharpAttention.Models;

/// <summary>
/// An encoder-decoder model (<see cref="Seq2SeqTransformer"/>). Defaults are Vaswani et al.'s base model: 6 + 6
/// post-LN layers of 512, 8 heads, feed-forward 2048, dropout 0.1, sinusoidal positions, embeddings scaled by √512.
/// </summary>
public sealed record Seq2SeqConfig(int SrcVocabSize, int TgtVocabSize)
{
    public int DModel { get; init; } = 512;
    public int NumHeads { get; init; } = 8;
    public int NumEncoderLayers { get; init; } = 6;
    public int NumDecoderLayers { get; init; } = 6;
    public int DimFeedforward { get; init; } = 2048;
    public double Dropout { get; init; } = 0.1;
    public Activation Activation { get; init; } = Activation.Relu;

    /// <summary>Pre-LN (with final norms either way, as torch's nn.Transformer has them); false is the paper's post-LN.</summary>
    public bool NormFirst { get; init; }

    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>Longest source or target sequence: rows of the position table.</summary>
    public int MaxLen { get; init; } = 512;

    /// <summary>Sinusoidal (the paper) or Learned.</summary>
    public PositionEncoding Positions { get; init; } = PositionEncoding.Sinusoidal;

    /// <summary>One embedding table for source and target (a joint vocabulary; the vocab sizes must agree).</summary>
    public bool ShareEmbeddings { get; init; }

    /// <summary>The output projection reuses the target embedding's weight.</summary>
    public bool TieOutput { get; init; }

    /// <summary>Multiply embeddings by √DModel before adding positions (§3.4); embeddings are then drawn N(0, 1/DModel).</summary>
    public bool ScaleEmbeddings { get; init; } = true;

    /// <summary>The padding id of both vocabularies: masked out of attention, ignored by the loss.</summary>
    public int PadId { get; init; }

    /// <summary>2 + 2 layers of 64, 2 heads: for tests and toy data.</summary>
    public static Seq2SeqConfig Tiny(int srcVocabSize, int tgtVocabSize) => new(srcVocabSize, tgtVocabSize)
    {
        DModel = 64, NumHeads = 2, NumEncoderLayers = 2, NumDecoderLayers = 2, DimFeedforward = 256, MaxLen = 256,
    };

    /// <summary>Transformer base (the defaults).</summary>
    public static Seq2SeqConfig Base(int srcVocabSize, int tgtVocabSize) => new(srcVocabSize, tgtVocabSize);

    /// <summary>Transformer big: 1024 wide, 16 heads, feed-forward 4096, dropout 0.3.</summary>
    public static Seq2SeqConfig Big(int srcVocabSize, int tgtVocabSize) => new(srcVocabSize, tgtVocabSize)
    {
        DModel = 1024, NumHeads = 16, DimFeedforward = 4096, Dropout = 0.3,
    };
}
