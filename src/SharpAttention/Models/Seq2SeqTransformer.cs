using SharpAttention.NN;
using SharpAttention.NN.Positional;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Sequence-to-sequence model of "Attention Is All You Need" (Vaswani et al. 2017), batch-first: source and target
/// embeddings ("src_embedding", "tgt_embedding" — one tensor under both keys when shared) scaled by √d_model, positions
/// ("positional_encoding" sinusoidal, or "src_position"/"tgt_position" learned), torch's <see cref="Transformer"/>
/// ("transformer.encoder.…", "transformer.decoder.…") and an output projection ("output_projection"). Training uses
/// teacher forcing: <see cref="Forward"/>(src, tgtIn) gives logits (B, T, V) for tgtOut = tgtIn shifted by one;
/// <see cref="Encode"/> and <see cref="Decode"/> recompute a whole target prefix; <see cref="BeginDecoding"/> and
/// <see cref="Step"/> decode incrementally with a KV cache (Seq2SeqTransformer.Incremental.cs).
/// </summary>
public sealed partial class Seq2SeqTransformer : Module
{
    readonly Dropout? dropout;

    public Seq2SeqConfig Config { get; }
    public Embedding SrcEmbedding { get; }
    public Embedding TgtEmbedding { get; }
    public SinusoidalPositionalEncoding? PositionalEncoding { get; }
    public LearnedPositionalEmbedding? SrcPosition { get; }
    public LearnedPositionalEmbedding? TgtPosition { get; }
    public Transformer Transformer { get; }
    internal OutputProjection OutputProjection { get; }

    public Seq2SeqTransformer(Seq2SeqConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ShareEmbeddings && config.SrcVocabSize != config.TgtVocabSize)
            throw new ArgumentException($"Seq2SeqTransformer: shared embeddings need one vocabulary, got {config.SrcVocabSize} and {config.TgtVocabSize}");
        if (config.Positions is PositionEncoding.Rotary or PositionEncoding.Alibi) throw new ArgumentException("Seq2SeqTransformer: positions must be sinusoidal or learned");
        Config = config;
        int d = config.DModel;
        SrcEmbedding = RegisterModule("src_embedding", new Embedding(config.SrcVocabSize, d, config.PadId, generator: generator));
        TgtEmbedding = RegisterModule("tgt_embedding", config.ShareEmbeddings ? SrcEmbedding
            : new Embedding(config.TgtVocabSize, d, config.PadId, generator: generator));
        if (config.Positions == PositionEncoding.Sinusoidal)
            PositionalEncoding = RegisterModule("positional_encoding", new SinusoidalPositionalEncoding(d, config.Dropout, config.MaxLen, batchFirst: true, generator));
        else
        {
            SrcPosition = RegisterModule("src_position", new LearnedPositionalEmbedding(config.MaxLen, d, batchFirst: true, generator: generator));
            TgtPosition = RegisterModule("tgt_position", new LearnedPositionalEmbedding(config.MaxLen, d, batchFirst: true, generator: generator));
            dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        }
        Transformer = RegisterModule("transformer", new Transformer(d, config.NumHeads, config.NumEncoderLayers, config.NumDecoderLayers,
            config.DimFeedforward, config.Dropout, config.Activation, layerNormEps: config.LayerNormEps, batchFirst: true,
            normFirst: config.NormFirst, generator: generator));
        OutputProjection = RegisterModule("output_projection", config.TieOutput
            ? new OutputProjection(TgtEmbedding.Weight)
            : new OutputProjection(Tensor.Zeros(config.TgtVocabSize, d), Tensor.Zeros(config.TgtVocabSize)));

        using var _ = Autograd.GradMode.NoGrad();
        if (!config.TieOutput)
        {
            var init = new Linear(d, config.TgtVocabSize, generator: generator);   // torch's Linear initialisation
            OutputProjection.Weight.CopyFrom_(init.Weight);
            OutputProjection.Bias!.CopyFrom_(init.Bias!);
        }
        if (config.ScaleEmbeddings)
            foreach (var e in new[] { SrcEmbedding, TgtEmbedding }.Distinct())
            {
                Init.Normal_(e.Weight, 0, 1 / Math.Sqrt(d), generator);
                if (e.PaddingIdx is int p) e.Weight.Select(0, p).Zero_();
            }
    }

    /// <summary>Token embeddings (scaled) plus positions starting at <paramref name="offset"/> (a decoding step's cache
    /// length), then dropout.</summary>
    Tensor Embed(Embedding embedding, LearnedPositionalEmbedding? position, Tensor ids, int offset = 0)
    {
        ModelParts.CheckIds(nameof(Seq2SeqTransformer), ids, Config.MaxLen, limitLength: true);
        var x = embedding.Forward(ids);                                              // (B, T, E)
        if (Config.ScaleEmbeddings) x = x * Math.Sqrt(Config.DModel);
        return PositionalEncoding != null ? PositionalEncoding.Forward(x, offset) : dropout!.Forward(position!.Forward(x, offset));
    }

    /// <summary>Runs the encoder once: memory (B, S, E) and the source padding mask (B, S) it was made with.</summary>
    /// <param name="src">Int64 (B, S)</param>
    public (Tensor Memory, Tensor SrcPaddingMask) Encode(Tensor src)
    {
        using var scope = ForwardScope.Begin();
        var srcPad = src.Eq(Config.PadId);
        return (scope.Keep(Transformer.Encode(Embed(SrcEmbedding, SrcPosition, src), srcKeyPaddingMask: srcPad)), scope.Keep(srcPad));
    }

    /// <summary>Decodes <paramref name="tgtIn"/> (B, T) causally against memory from <see cref="Encode"/>: logits (B, T, V).</summary>
    public Tensor Decode(Tensor tgtIn, Tensor memory, Tensor srcPaddingMask)
    {
        using var scope = ForwardScope.Begin();
        var y = Transformer.Decode(Embed(TgtEmbedding, TgtPosition, tgtIn), memory, tgtKeyPaddingMask: tgtIn.Eq(Config.PadId),
            memoryKeyPaddingMask: srcPaddingMask, tgtIsCausal: true);
        return scope.Keep(OutputProjection.Forward(y));
    }

    /// <param name="src">Int64 (B, S)</param>
    /// <param name="tgtIn">Int64 (B, T): the target with a start token first, without its last token</param>
    /// <returns>logits (B, T, V)</returns>
    public Tensor Forward(Tensor src, Tensor tgtIn)
    {
        using var scope = ForwardScope.Begin();
        var (memory, srcPad) = Encode(src);
        return scope.Keep(Decode(tgtIn, memory, srcPad));
    }

    /// <summary>
    /// What each decoder layer's cross-attention looks at when the decoder reads <paramref name="tgtIn"/> against
    /// <paramref name="src"/>: one (B, H, T, S) tensor per layer, row t being where target position t attends in the
    /// source (padding keys get 0). Runs without gradients; the model's mode is left as it was.
    /// </summary>
    /// <param name="src">Int64 (B, S)</param>
    /// <param name="tgtIn">Int64 (B, T): &lt;bos&gt; and the target tokens whose alignment is wanted</param>
    public Tensor[] CrossAttentionWeights(Tensor src, Tensor tgtIn)
    {
        var layers = Transformer.Decoder.Layers.Select(l => l.MultiheadAttn).ToArray();
        using var _ = Autograd.GradMode.NoGrad();
        try
        {
            foreach (var attention in layers) attention.CaptureWeights = true;
            Forward(src, tgtIn);
            return [.. layers.Select(a => a.CapturedWeights!)];
        }
        finally
        {
            foreach (var attention in layers) attention.CaptureWeights = false;
        }
    }

    /// <summary>Mean cross-entropy of <see cref="Forward"/>(src, tgtIn) against <paramref name="tgtOut"/> (B, T), padding
    /// ignored.</summary>
    public Tensor Loss(Tensor src, Tensor tgtIn, Tensor tgtOut, double labelSmoothing = 0.0) =>
        F.CrossEntropy(Forward(src, tgtIn).Reshape(-1, Config.TgtVocabSize), tgtOut.Reshape(-1), ignoreIndex: Config.PadId,
            labelSmoothing: labelSmoothing);
}
