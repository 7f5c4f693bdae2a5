using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Per-token classification (tagging: part of speech, named entities, grapheme-to-phoneme alignment) with a Transformer
/// encoder: <see cref="TokenEncoder"/> ("backbone"), dropout, and a linear "head" at every position.
/// <see cref="Forward"/> gives logits (B, T, C); <see cref="Loss"/> the mean cross-entropy over non-padding positions.
/// </summary>
public sealed class TokenTagger : Module
{
    readonly Dropout dropout;

    public int NumTags { get; }
    public TokenEncoder Backbone { get; }
    public Linear Head { get; }

    public TokenTagger(EncoderConfig config, int numTags, Generator? generator = null)
    {
        if (numTags <= 0) throw new ArgumentException($"TokenTagger: num_tags must be positive, got {numTags}");
        NumTags = numTags;
        Backbone = RegisterModule("backbone", new TokenEncoder(config, generator));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        Head = RegisterModule("head", new Linear(config.DModel, numTags, generator: generator));
    }

    /// <param name="ids">Int64 (B, T)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <returns>logits (B, T, C)</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null) =>
        Head.Forward(dropout.Forward(Backbone.Forward(ids, keyPaddingMask)));

    /// <summary>Mean cross-entropy over the positions that are not padding and whose tag is not
    /// <paramref name="ignoreIndex"/>.</summary>
    /// <param name="ids">Int64 (B, T)</param>
    /// <param name="tags">Int64 (B, T)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <param name="ignoreIndex">a tag value that counts for nothing</param>
    public Tensor Loss(Tensor ids, Tensor tags, Tensor? keyPaddingMask = null, long ignoreIndex = -100)
    {
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        var logits = Forward(ids, keyPaddingMask);                        // (B, T, C)
        var targets = ModelParts.IgnorePadding(tags, keyPaddingMask, ignoreIndex);
        return F.CrossEntropy(logits.Reshape(-1, NumTags), targets.Reshape(-1), ignoreIndex);
    }
}
