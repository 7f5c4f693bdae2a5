using SharpAttention.Data;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// A <see cref="TokenEncoder"/> ("backbone") trained as a masked language model (Devlin et al. 2019; Hugging Face's
/// BertForMaskedLM) through a <see cref="MaskedLMHead"/> ("lm_head") tied to its token embedding. Inputs and labels
/// come from <see cref="MlmMasking"/>. After pre-training the backbone's weights go into another model with the same
/// encoder, e.g. an <see cref="EncoderClassifier"/>'s "backbone".
/// </summary>
public sealed class MaskedLanguageModel : Module
{
    public TokenEncoder Backbone { get; }
    public MaskedLMHead LmHead { get; }

    public MaskedLanguageModel(EncoderConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Backbone = RegisterModule("backbone", new TokenEncoder(config, generator));
        LmHead = RegisterModule("lm_head", new MaskedLMHead(Backbone.TokenEmbedding.Weight, config.LayerNormEps, generator));
    }

    /// <param name="ids">Int64 (B, T), masked inputs</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <returns>logits (B, T, V) at every position</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null)
    {
        using var scope = ForwardScope.Begin();
        return scope.Keep(LmHead.Forward(Backbone.Forward(ids, keyPaddingMask)));
    }

    /// <summary>Mean cross-entropy over the positions whose label is not <see cref="MlmMasking.IgnoreIndex"/>: the
    /// value torch's cross_entropy gives on <see cref="Forward"/>'s logits, but the head runs on those positions only
    /// (about 15 % of them, so the (B, T, V) logits are never made). A batch with no chosen position has loss 0.</summary>
    /// <param name="ids">Int64 (B, T), masked inputs</param>
    /// <param name="labels">Int64 (B, T): the original token where chosen, -100 elsewhere</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    public Tensor Loss(Tensor ids, Tensor labels, Tensor? keyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.DType != DType.Int64 || !labels.Shape.SequenceEqual(ids.Shape))
            throw new ArgumentException($"MaskedLanguageModel: labels must be int64 of the ids' shape {ShapeUtil.Format(ids.Shape)}, " +
                                        $"got {labels.DType.TorchName()} {ShapeUtil.Format(labels.Shape)}");
        var flat = labels.ToInt64Array();
        var chosen = Enumerable.Range(0, flat.Length).Where(i => flat[i] != MlmMasking.IgnoreIndex).Select(i => (long)i).ToArray();
        var h = Backbone.Forward(ids, keyPaddingMask);                          // (B, T, E)
        if (chosen.Length == 0) return h.Sum() * 0.0;
        var rows = h.Reshape(flat.Length, h.Size(2)).IndexSelect(0, Tensor.FromArray(chosen, chosen.Length));   // (N, E)
        var targets = Tensor.FromArray([.. chosen.Select(i => flat[i])], chosen.Length);                          // (N)
        return F.CrossEntropy(LmHead.Forward(rows), targets);
    }
}
