using SharpAttention.NN.Transformers;

namespace SharpAttention.Models;

/// <summary>
/// The token encoder shared by <see cref="EncoderClassifier"/> and <see cref="TokenTagger"/>: token embedding, positions
/// and a stack of <see cref="TransformerEncoderLayer"/>s, batch-first. Defaults are a small BERT-like encoder; the presets
/// follow Turc et al. 2019's BERT miniatures and BERT-base.
/// </summary>
public sealed record EncoderConfig(int VocabSize)
{
    /// <summary>Width of every token vector (E).</summary>
    public int DModel { get; init; } = 256;

    public int NumHeads { get; init; } = 4;
    public int NumLayers { get; init; } = 4;

    /// <summary>Hidden width of each feed-forward (F), conventionally 4 × DModel.</summary>
    public int DimFeedforward { get; init; } = 1024;

    /// <summary>Dropout on embeddings, attention weights, and after each sublayer.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Longest sequence: rows of the learned or sinusoidal position table.</summary>
    public int MaxLen { get; init; } = 512;

    public PositionEncoding Positions { get; init; } = PositionEncoding.Learned;

    /// <summary>Relu or Gelu (BERT); SwiGlu swaps the feed-forward for Llama's.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Pre-LN layers (stable without warm-up) and a final LayerNorm; false is the paper's post-LN.</summary>
    public bool NormFirst { get; init; } = true;

    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary>The padding id: its positions are masked out of attention and pooling and its embedding row gets no
    /// gradient; null when sequences are never padded.</summary>
    public int? PadId { get; init; } = 0;

    /// <summary>How <see cref="EncoderClassifier"/> pools the token vectors into one (the tagger ignores it); by default
    /// the [CLS] position, as BERT.</summary>
    public Pooling Pooling { get; init; } = Pooling.Cls;

    /// <summary>Multiply token embeddings by √DModel before adding positions (Vaswani et al.); BERT does not.</summary>
    public bool ScaleEmbeddings { get; init; }

    /// <summary>2 layers of 64, 2 heads: for tests and toy data.</summary>
    public static EncoderConfig Tiny(int vocabSize) => new(vocabSize) { DModel = 64, NumHeads = 2, NumLayers = 2, DimFeedforward = 256 };

    /// <summary>BERT-mini: 4 layers of 256, 4 heads (the defaults).</summary>
    public static EncoderConfig Mini(int vocabSize) => new(vocabSize);

    /// <summary>BERT-small: 4 layers of 512, 8 heads.</summary>
    public static EncoderConfig Small(int vocabSize) => new(vocabSize) { DModel = 512, NumHeads = 8, DimFeedforward = 2048 };

    /// <summary>BERT-base: 12 layers of 768, 12 heads.</summary>
    public static EncoderConfig Base(int vocabSize) =>
        new(vocabSize) { DModel = 768, NumHeads = 12, NumLayers = 12, DimFeedforward = 3072 };

    internal void Validate(string model)
    {
        if (VocabSize <= 0) throw new ArgumentException($"{model}: vocab_size must be positive, got {VocabSize}");
        if (MaxLen <= 0) throw new ArgumentException($"{model}: max_len must be positive, got {MaxLen}");
        if (PadId is int p && (p < 0 || p >= VocabSize)) throw new ArgumentException($"{model}: pad_id {p} is outside the vocabulary of {VocabSize}");
        if (Positions == PositionEncoding.Alibi) throw new ArgumentException($"{model}: positions must be sinusoidal, learned or rotary (ALiBi is for decoder-only models)");
    }
}
