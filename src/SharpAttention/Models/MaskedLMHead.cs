using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// BERT's masked-LM head (Hugging Face's BertLMPredictionHead): a transform "dense" (E → E), GELU and "layer_norm",
/// then a "decoder" to the vocabulary whose weight is the token embedding's (tied, Press &amp; Wolf 2017) plus a bias
/// of its own (V). The transform gives the head capacity of its own, so the encoder's last layer need not turn into
/// word predictions itself; the head is dropped after pre-training and only the encoder is kept. One change from BERT:
/// the transform's output is scaled by 1/√E before the decoder, as T5 does with tied embeddings, because our
/// embeddings start as N(0, 1) (torch's nn.Embedding; BERT's start at N(0, 0.02²)), which would make the first logits'
/// spread √E (a first loss of 39 instead of ln V ≈ 8.3 with the spam recipe's 128 × 4,000).
/// </summary>
public sealed class MaskedLMHead : Module
{
    public Linear Dense { get; }
    public LayerNorm LayerNorm { get; }
    internal OutputProjection Decoder { get; }

    /// <param name="embedding">the token embedding (V, E) the decoder shares</param>
    /// <param name="layerNormEps">the transform's layer-norm epsilon</param>
    /// <param name="generator">draws the dense layer's initial weights</param>
    public MaskedLMHead(Tensor embedding, double layerNormEps = 1e-5, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        int v = embedding.Size(0), e = embedding.Size(1);
        Dense = RegisterModule("dense", new Linear(e, e, generator: generator));
        LayerNorm = RegisterModule("layer_norm", new LayerNorm(e, layerNormEps));
        Decoder = RegisterModule("decoder", new OutputProjection(embedding, Tensor.Zeros(v)));
    }

    /// <param name="h">(..., E) encoder outputs</param>
    /// <returns>(..., V) logits</returns>
    public Tensor Forward(Tensor h) => Decoder.Forward(LayerNorm.Forward(F.Gelu(Dense.Forward(h))) * (1 / Math.Sqrt(Dense.InFeatures)));
}
