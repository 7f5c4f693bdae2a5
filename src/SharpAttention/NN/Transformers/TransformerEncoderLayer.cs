using SharpAttention.NN.Attention;
using SharpAttention.NN.Positional;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>
/// One Transformer encoder layer (Vaswani et al. 2017, §3.1), PyTorch's torch.nn.TransformerEncoderLayer: self-attention
/// and a feed-forward, each wrapped in dropout + residual + normalisation — after the sublayer (post-LN, the paper and
/// torch's default) or before it (<c>normFirst</c>, pre-LN, Xiong et al. 2020). Same constructor arguments and
/// state_dict keys as torch 2.x: self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight/bias,
/// linear1.weight/bias (F, E), linear2.weight/bias (E, F), norm1.weight/bias, norm2.weight/bias.
/// <para>Beyond torch (for decoder-only models): <see cref="Activation.SwiGlu"/> (feed_forward.w1/w2/w3 in place of
/// linear1/linear2), RMSNorm (<see cref="NormKind.RmsNorm"/>), grouped-query attention (numKvHeads) and a rotary
/// embedding (RoPE) in the self-attention.</para>
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    readonly Generator? generator;
    readonly DType dtype;
    readonly Dropout dropout1, dropout2;
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

    /// <summary>(F, E) and (E, F); null with <see cref="Activation.SwiGlu"/>.</summary>
    public Linear? Linear1 { get; }
    public Linear? Linear2 { get; }

    /// <summary>The gated feed-forward, only with <see cref="Activation.SwiGlu"/>.</summary>
    public SwiGluFeedForward? FeedForward { get; }

    /// <summary><see cref="LayerNorm"/> or <see cref="RmsNorm"/>.</summary>
    public Module Norm1 { get; }
    public Module Norm2 { get; }

    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1,
        Activation activation = Activation.Relu, double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false,
        bool bias = true, DType dtype = DType.Float32, Generator? generator = null,
        int? numKvHeads = null, NormKind norm = NormKind.LayerNorm, RotaryEmbedding? rotary = null)
    {
        LayerParts.Check("TransformerEncoderLayer", dModel, nhead, dimFeedforward, dropout, activation);
        (DModel, NHead, DimFeedforward, DropoutP, Activation) = (dModel, nhead, dimFeedforward, dropout, activation);
        (LayerNormEps, BatchFirst, NormFirst, Bias, NormKind) = (layerNormEps, batchFirst, normFirst, bias, norm);
        (this.generator, this.dtype) = (generator, dtype);

        // Registration order = torch's state_dict order.
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst,
            numKvHeads: numKvHeads, dtype: dtype, generator: generator, rotary: rotary));
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
        dropout1 = RegisterModule("dropout1", new Dropout(dropout, generator));
        dropout2 = RegisterModule("dropout2", new Dropout(dropout, generator));
    }

    /// <summary>A deep copy (torch's copy.deepcopy): same configuration, same parameter values, own storage; the
    /// dropout generator and the (stateless) rotary embedding are shared.</summary>
    public TransformerEncoderLayer Clone()
    {
        var copy = new TransformerEncoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst,
            Bias, dtype, generator, SelfAttn.NumKvHeads, NormKind, SelfAttn.Rotary);
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }

    /// <summary>Passes <paramref name="src"/> through the layer (torch's forward(src, src_mask, src_key_padding_mask,
    /// is_causal)). Masks follow nn.MultiheadAttention (see <see cref="MultiheadAttention.Forward"/>).</summary>
    /// <param name="src">(S, B, E), (B, S, E) when batch-first, or unbatched (S, E)</param>
    /// <param name="srcMask">(S, S) or (B·H, S, S): bool true = blocked, float added</param>
    /// <param name="srcKeyPaddingMask">(B, S): true (or −∞) at padding</param>
    /// <param name="isCausal">position i sees positions ≤ i, with or without a mask</param>
    /// <returns>the same shape as src</returns>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(LayerParts.Apply(Norm1, x), srcMask, srcKeyPaddingMask, isCausal);
            x = x + FeedForwardBlock(LayerParts.Apply(Norm2, x));
        }
        else
        {
            x = LayerParts.Apply(Norm1, x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
            x = LayerParts.Apply(Norm2, x + FeedForwardBlock(x));
        }
        return x;
    }

    /// <summary>
    /// The layer as a causal decoder block (decoder-only models) for T new positions during incremental decoding:
    /// self-attention appends to and reads <paramref name="cache"/>. Pre-LN and post-LN as <see cref="Forward"/>; gives
    /// the rows Forward gives for those positions with isCausal over the whole prefix. Inference only (no dropout).
    /// </summary>
    /// <param name="src">(B, T, E) batch-first</param>
    /// <param name="cache">this layer's self-attention cache</param>
    /// <param name="attnBias">float (H, T, S) added to the self-attention scores, causal −∞ included (ALiBi), or null</param>
    /// <returns>(B, T, E)</returns>
    public Tensor ForwardIncremental(Tensor src, KvCache cache, Tensor? attnBias = null)
    {
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttn.ForwardIncremental(LayerParts.Apply(Norm1, x), cache, attnBias);
            x = x + FeedForwardBlock(LayerParts.Apply(Norm2, x));
        }
        else
        {
            x = LayerParts.Apply(Norm1, x + SelfAttn.ForwardIncremental(x, cache, attnBias));
            x = LayerParts.Apply(Norm2, x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) => dropout2.Forward(FeedForward != null
        ? FeedForward.Forward(x)
        : Linear2!.Forward(dropout!.Forward(LayerParts.LinearActivate(Activation, Linear1!, x))));

    protected override string ExtraRepr() => $"activation={LayerParts.Name(Activation)}, norm_first={(NormFirst ? "True" : "False")}";
}
