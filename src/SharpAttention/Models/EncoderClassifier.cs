using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Sequence classification with a Transformer encoder (BERT-style, Devlin et al. 2019): <see cref="TokenEncoder"/>
/// ("backbone"), pooling — the [CLS] position or the mean over non-padding positions — dropout and a linear "head".
/// <see cref="Forward"/> gives logits (B, C); <see cref="Loss"/> the mean cross-entropy against labels (B).
/// </summary>
public sealed class EncoderClassifier : Module
{
    readonly Dropout dropout;

    public int NumClasses { get; }
    public Pooling Pooling { get; }
    public TokenEncoder Backbone { get; }
    public Linear Head { get; }

    public EncoderClassifier(EncoderConfig config, int numClasses, Pooling pooling = Pooling.Cls, Generator? generator = null)
    {
        if (numClasses <= 0) throw new ArgumentException($"EncoderClassifier: num_classes must be positive, got {numClasses}");
        (NumClasses, Pooling) = (numClasses, pooling);
        Backbone = RegisterModule("backbone", new TokenEncoder(config, generator));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        Head = RegisterModule("head", new Linear(config.DModel, numClasses, generator: generator));
    }

    /// <param name="ids">Int64 (B, T); with Cls pooling position 0 holds the [CLS] id</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <returns>logits (B, C)</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null)
    {
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        var h = Backbone.Forward(ids, keyPaddingMask);                    // (B, T, E)
        Tensor pooled;
        if (Pooling == Pooling.Cls) pooled = h.Select(1, 0);             // (B, E)
        else if (keyPaddingMask is null) pooled = h.Mean(1);
        else
        {
            var keep = keyPaddingMask.LogicalNot().To(h.DType).Unsqueeze(-1);   // (B, T, 1)
            pooled = (h * keep).Sum(1) / keep.Sum(1).Clamp(min: 1);             // (B, E)
        }
        return Head.Forward(dropout.Forward(pooled));
    }

    /// <summary>Mean cross-entropy of <see cref="Forward"/>'s logits against <paramref name="labels"/> (B) int64.</summary>
    public Tensor Loss(Tensor ids, Tensor labels, Tensor? keyPaddingMask = null, double labelSmoothing = 0.0) =>
        F.CrossEntropy(Forward(ids, keyPaddingMask), labels, labelSmoothing: labelSmoothing);
}
