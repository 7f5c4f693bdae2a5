using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>
/// The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al. 2017), PyTorch's
/// torch.nn.Transformer: a <see cref="TransformerEncoder"/> and a <see cref="TransformerDecoder"/>, each with a final
/// LayerNorm, with torch's defaults (d_model 512, 8 heads, 6 + 6 layers, feed-forward 2048, dropout 0.1, ReLU,
/// post-LN, sequence-first) and state_dict keys ("encoder.layers.0.self_attn.in_proj_weight", "encoder.norm.weight",
/// "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.norm.bias", …). Like torch, every parameter with two or
/// more dimensions is redrawn from xavier_uniform after the layers are built. Embeddings, positions and the output
/// projection are the caller's (see <c>SharpAttention.Models.Seq2SeqTransformer</c>).
/// </summary>
public sealed class Transformer : Module
{
    public int DModel { get; }
    public int NHead { get; }
    public bool BatchFirst { get; }

    public TransformerEncoder Encoder { get; }
    public TransformerDecoder Decoder { get; }

    public Transformer(int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, int dimFeedforward = 2048,
        double dropout = 0.1, Activation activation = Activation.Relu, TransformerEncoder? customEncoder = null,
        TransformerDecoder? customDecoder = null, double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false,
        bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        (DModel, NHead, BatchFirst) = (dModel, nhead, batchFirst);
        Encoder = RegisterModule("encoder", customEncoder ?? new TransformerEncoder(
            new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, generator),
            numEncoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias, dtype: dtype)));
        Decoder = RegisterModule("decoder", customDecoder ?? new TransformerDecoder(
            new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, generator),
            numDecoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias, dtype: dtype)));
        ResetParameters(generator);
    }

    /// <summary>xavier_uniform on every parameter of two or more dimensions, in parameter order (torch's _reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var p in Parameters())
            if (p.Dim > 1) Init.XavierUniform_(p, generator: generator);
    }

    /// <summary>
    /// Encodes <paramref name="src"/> and decodes <paramref name="tgt"/> against it (torch's forward). Shapes (S source and T
    /// target length, B batch, E = d_model): src (S, B, E) and tgt (T, B, E), or (B, S, E) and (B, T, E) when batch-first,
    /// or unbatched (S, E) and (T, E); the output has tgt's shape. Masks: src_mask (S, S), tgt_mask (T, T),
    /// memory_mask (T, S) — or (B·H, ·, ·) — bool true = blocked or float added; key padding masks (B, S), (B, T), (B, S),
    /// true at padding. <paramref name="tgtIsCausal"/> without a tgt_mask is the usual decoder masking
    /// (<see cref="GenerateSquareSubsequentMask"/> as a flag).
    /// </summary>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool srcIsCausal = false, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        bool batched = src.Dim == 3;
        if (batched && src.Size(BatchFirst ? 0 : 1) != tgt.Size(BatchFirst ? 0 : 1))
            throw new ArgumentException($"Transformer: the batch number of src and tgt must be equal, got {ShapeUtil.Format(src.Shape)} and {ShapeUtil.Format(tgt.Shape)}");
        if (src.Size(-1) != DModel || tgt.Size(-1) != DModel)
            throw new ArgumentException($"Transformer: the feature number of src and tgt must be equal to d_model {DModel}, got {src.Size(-1)} and {tgt.Size(-1)}");
        var memory = Encode(src, srcMask, srcKeyPaddingMask, srcIsCausal);
        return Decode(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
    }

    /// <summary>The encoder alone: memory for <see cref="Decode"/>, e.g. once per source when decoding step by step.</summary>
    public Tensor Encode(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool srcIsCausal = false) =>
        Encoder.Forward(src, srcMask, srcKeyPaddingMask, srcIsCausal);

    /// <summary>The decoder alone, against memory from <see cref="Encode"/>.</summary>
    public Tensor Decode(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false) =>
        Decoder.Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);

    /// <summary>The causal mask for <paramref name="size"/> positions as torch makes it: (size, size) float, −∞ above the
    /// diagonal (position i may not see j &gt; i) and 0 elsewhere (torch's generate_square_subsequent_mask).</summary>
    public static Tensor GenerateSquareSubsequentMask(int size, DType dtype = DType.Float32)
    {
        if (size < 0) throw new ArgumentException($"generate_square_subsequent_mask: size must be non-negative, got {size}");
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"generate_square_subsequent_mask: dtype must be floating point, got {dtype.TorchName()}");
        var future = Tensor.Arange(size, DType.Int64).View(1, size).Gt(Tensor.Arange(size, DType.Int64).View(size, 1));   // (T, T): j > i
        return Tensor.Zeros([size, size], dtype).MaskedFill(future, double.NegativeInfinity);
    }
}
