using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Per-token classification (tagging: part of speech, named entities, grapheme-to-phoneme alignment) with a Transformer
/// encoder: <see cref="TokenEncoder"/> ("backbone"), dropout, and a linear "head" at every position. With
/// <see cref="CharEncoder"/> ("char_encoder"), each word's spelling is added to the embedding of its first token, so
/// words the sub-token vocabulary splits or never saw still show their shape. <see cref="Forward"/> gives logits
/// (B, T, C); <see cref="Loss"/> the mean cross-entropy over non-padding positions.
/// </summary>
public sealed class TokenTagger : Module
{
    readonly Dropout dropout;

    public int NumTags { get; }
    public TokenEncoder Backbone { get; }
    public CharWordEncoder? CharEncoder { get; }
    public Linear Head { get; }

    /// <param name="config">the encoder</param>
    /// <param name="numTags">C</param>
    /// <param name="generator">seeds initialisation and dropout</param>
    /// <param name="numChars">size of the character vocabulary for a <see cref="CharWordEncoder"/>; null: none</param>
    /// <param name="charDim">width of each character embedding</param>
    public TokenTagger(EncoderConfig config, int numTags, Generator? generator = null, int? numChars = null, int charDim = 32)
    {
        if (numTags <= 0) throw new ArgumentException($"TokenTagger: num_tags must be positive, got {numTags}");
        NumTags = numTags;
        Backbone = RegisterModule("backbone", new TokenEncoder(config, generator));
        if (numChars is int n) CharEncoder = RegisterModule("char_encoder", new CharWordEncoder(n, charDim, config.DModel, generator));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        Head = RegisterModule("head", new Linear(config.DModel, numTags, generator: generator));
    }

    /// <param name="ids">Int64 (B, T)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <param name="chars">Int64 (B, T, L): the characters of the word that starts at each position (all 0 elsewhere),
    /// and (B, T, L) their kinds (<see cref="CharWordEncoder.KindOf"/>); needed with a <see cref="CharEncoder"/>, ignored without</param>
    /// <returns>logits (B, T, C)</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null, (Tensor Ids, Tensor Kinds)? chars = null)
    {
        if (CharEncoder != null && chars is null) throw new ArgumentException("TokenTagger: this tagger reads each word's characters; pass chars (B, T, L)");
        using var scope = ForwardScope.Begin();
        var spelling = CharEncoder != null ? CharEncoder.Forward(chars!.Value.Ids, chars.Value.Kinds) : null;   // (B, T, E)
        return scope.Keep(Head.Forward(dropout.Forward(Backbone.Forward(ids, keyPaddingMask, spelling))));
    }

    /// <summary>Mean cross-entropy over the positions that are not padding and whose tag is not
    /// <paramref name="ignoreIndex"/>.</summary>
    /// <param name="ids">Int64 (B, T)</param>
    /// <param name="tags">Int64 (B, T)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <param name="ignoreIndex">a tag value that counts for nothing (Hugging Face's -100 on a word's later sub-tokens)</param>
    /// <param name="chars">Int64 (B, T, L), as for <see cref="Forward"/></param>
    public Tensor Loss(Tensor ids, Tensor tags, Tensor? keyPaddingMask = null, long ignoreIndex = -100, (Tensor Ids, Tensor Kinds)? chars = null)
    {
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        var logits = Forward(ids, keyPaddingMask, chars);                 // (B, T, C)
        var targets = ModelParts.IgnorePadding(tags, keyPaddingMask, ignoreIndex);
        return F.CrossEntropy(logits.Reshape(-1, NumTags), targets.Reshape(-1), ignoreIndex);
    }
}
