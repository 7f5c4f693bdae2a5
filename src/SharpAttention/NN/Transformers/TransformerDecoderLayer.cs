using SharpAttention.NN.Attention;
using SharpAttention.NN.Positional;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>
/// One Transformer decoder layer (Vaswani et al. 2017, §3.1), PyTorch's torch.nn.TransformerDecoderLayer: masked
/// self-attention over the target, cross-attention from the target to the encoder's output (memory), and a
/// feed-forward, each wrapped in dropout + residual + normalisation (post-LN by default, pre-LN with
/// <c>normFirst</c>). Same constructor arguments and state_dict keys as torch 2.x: self_attn.*, multihead_attn.*,
/// linear1.*, linear2.*, norm1.*, norm2.*, norm3.*. Beyond torch as <see cref="TransformerEncoderLayer"/>: SwiGLU,
/// RMSNorm, grouped-query attention and RoPE (self-attention only).
/// </summary>
public sealed class TransformerDecoderLayer : Module
{
    readonly Generator? generator;
    readonly DType dtype;
    readonly Dropout dropout1, dropout2, dropout3;
    readonly Dropout? dropout;

    public int DModel { get; }
    public int NHead { get; }
    public int DimFeedforward { get; }
    public double DropoutP { get; }
    public Activation Activation { get; }
    public double LayerNormEps { get; }
    public bool BatchFirst { get; }
    public bool NormFirst { get; }
    public bool Bias { get; }
    public NormKind NormKind { get; }

    public MultiheadAttention SelfAttn { get; }

    /// <summary>Cross-attention: queries from the target, keys and values from memory.</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>(F, E) and (E, F); null with <see cref="Activation.SwiGlu"/>.</summary>
    public Linear? Linear1 { get; }
    public Linear? Linear2 { get; }
    public SwiGluFeedForward? FeedForward { get; }

    public Module Norm1 { get; }
    public Module Norm2 { get; }
    public Module Norm3 { get; }

    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        Activation activation = Activation.Relu, double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false,
        bool bias = true, DType dtype = DType.Float32, Generator? generator = null,
        int? numKvHeads = null, NormKind norm = NormKind.LayerNorm, RotaryEmbedding? rotary = null)
    {
        LayerParts.Check("TransformerDecoderLayer", dModel, nhead, dimFeedforward, dropout, activation);
        (DModel, NHead, DimFeedforward, DropoutP, Activation) = (dModel, nhead, dimFeedforward, dropout, activation);
        (LayerNormEps, BatchFirst, NormFirst, Bias, NormKind) = (layerNormEps, batchFirst, normFirst, bias, norm);
        (this.generator, this.dtype) = (generator, dtype);

        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst,
            numKvHeads: numKvHeads, dtype: dtype, generator: generator, rotary: rotary));
        MultiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst,
            numKvHeads: numKvHeads, dtype: dtype, generator: generator));
        if (activation == Activation.SwiGlu)
            FeedForward = RegisterModule("feed_forward", new SwiGluFeedForward(dModel, dimFeedforward, bias, dropout, dtype, generator));
        else
        {
            Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, dtype, generator));
            this.dropout = RegisterModule("dropout", new Dropout(dropout, generator));
            Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, dtype, generator));
        }
        Norm1 = RegisterModule("norm1", LayerParts.Norm(norm, dModel, layerNormEps, bias, dtype));
        Norm2 = RegisterModule("norm2", LayerParts.Norm(norm, dModel, layerNormEps, bias, dtype));
        Norm3 = RegisterModule("norm3", LayerParts.Norm(norm, dModel, layerNormEps, bias, dtype));
        dropout1 = RegisterModule("dropout1", new Dropout(dropout, generator));
        dropout2 = RegisterModule("dropout2", new Dropout(dropout, generator));
        dropout3 = RegisterModule("dropout3", new Dropout(dropout, generator));
    }

    /// <summary>A deep copy (torch's copy.deepcopy): same configuration and parameter values, own storage.</summary>
    public TransformerDecoderLayer Clone()
    {
        var copy = new TransformerDecoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst,
            Bias, dtype, generator, SelfAttn.NumKvHeads, NormKind, SelfAttn.Rotary);
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }

    /// <summary>Passes <paramref name="tgt"/> through the layer, attending to <paramref name="memory"/> (torch's forward(tgt,
    /// memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal, memory_is_causal)).
    /// Masks follow nn.MultiheadAttention (see <see cref="MultiheadAttention.Forward"/>).</summary>
    /// <param name="tgt">(T, B, E), (B, T, E) when batch-first, or unbatched (T, E)</param>
    /// <param name="memory">(S, B, E), (B, S, E) when batch-first, or unbatched (S, E)</param>
    /// <param name="tgtMask">(T, T) or (B·H, T, T): bool true = blocked, float added</param>
    /// <param name="memoryMask">(T, S) or (B·H, T, S)</param>
    /// <param name="tgtKeyPaddingMask">(B, T): true (or −∞) at padding</param>
    /// <param name="memoryKeyPaddingMask">(B, S)</param>
    /// <param name="tgtIsCausal">target position i sees target positions ≤ i</param>
    /// <param name="memoryIsCausal">target position i sees memory positions ≤ i (top-left aligned)</param>
    /// <returns>the same shape as tgt</returns>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(LayerParts.Apply(Norm1, x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + CrossAttentionBlock(LayerParts.Apply(Norm2, x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            x = x + FeedForwardBlock(LayerParts.Apply(Norm3, x));
        }
        else
        {
            x = LayerParts.Apply(Norm1, x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = LayerParts.Apply(Norm2, x + CrossAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
            x = LayerParts.Apply(Norm3, x + FeedForwardBlock(x));
        }
        return x;
    }

    /// <summary>
    /// The same layer for T new target positions during incremental decoding: self-attention appends to and reads
    /// <paramref name="selfCache"/>, cross-attention reads <paramref name="memoryCache"/> (made once by
    /// <see cref="MultiheadAttention.ProjectMemory"/> from the memory). Pre-LN and post-LN as <see cref="Forward"/>;
    /// gives the rows Forward gives for those positions with tgtIsCausal. Inference only (no dropout).
    /// </summary>
    /// <param name="tgt">(B, T, E) batch-first</param>
    /// <param name="selfCache">this layer's self-attention cache</param>
    /// <param name="memoryCache">this layer's projected memory</param>
    /// <returns>(B, T, E)</returns>
    public Tensor ForwardIncremental(Tensor tgt, KvCache selfCache, KvCache memoryCache)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttn.ForwardIncremental(LayerParts.Apply(Norm1, x), selfCache);
            x = x + MultiheadAttn.ForwardCached(LayerParts.Apply(Norm2, x), memoryCache);
            x = x + FeedForwardBlock(LayerParts.Apply(Norm3, x));
        }
        else
        {
            x = LayerParts.Apply(Norm1, x + SelfAttn.ForwardIncremental(x, selfCache));
            x = LayerParts.Apply(Norm2, x + MultiheadAttn.ForwardCached(x, memoryCache));
            x = LayerParts.Apply(Norm3, x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor CrossAttentionBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        dropout2.Forward(MultiheadAttn.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) => dropout3.Forward(FeedForward != null
        ? FeedForward.Forward(x)
        : Linear2!.Forward(dropout!.Forward(LayerParts.LinearActivate(Activation, Linear1!, x))));

    protected override string ExtraRepr() => $"activation={LayerParts.Name(Activation)}, norm_first={(NormFirst ? "True" : "False")}";
}
