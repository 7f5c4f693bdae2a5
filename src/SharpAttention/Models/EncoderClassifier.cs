using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Sequence classification with a Transformer encoder (BERT-style, Devlin et al. 2019): <see cref="TokenEncoder"/>
/// ("backbone"), a <see cref="SequencePooler"/> ("pooler": [CLS], mean, max or a learned attention query, by
/// <see cref="EncoderConfig.Pooling"/>), dropout and a linear "head". <see cref="Forward"/> gives logits (B, C);
/// <see cref="Loss"/> the mean cross-entropy against labels (B), optionally weighted per class.
/// </summary>
public sealed partial class EncoderClassifier : Module
{
    readonly Dropout dropout;

    public int NumClasses { get; }
    public Pooling Pooling => Pooler.Mode;
    public TokenEncoder Backbone { get; }
    public SequencePooler Pooler { get; }
    public Linear Head { get; }

    public EncoderClassifier(EncoderConfig config, int numClasses, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (numClasses <= 0) throw new ArgumentException($"EncoderClassifier: num_classes must be positive, got {numClasses}");
        NumClasses = numClasses;
        Backbone = RegisterModule("backbone", new TokenEncoder(config, generator));
        Pooler = RegisterModule("pooler", new SequencePooler(config.Pooling, config.DModel));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        Head = RegisterModule("head", new Linear(config.DModel, numClasses, generator: generator));
    }

    /// <param name="ids">Int64 (B, T); with Cls pooling position 0 holds the [CLS] id</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <returns>logits (B, C)</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null)
    {
        using var scope = ForwardScope.Begin();
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        var h = Backbone.Forward(ids, keyPaddingMask);                    // (B, T, E)
        return scope.Keep(Head.Forward(dropout.Forward(Pooler.Forward(h, keyPaddingMask))));
    }

    /// <summary>Logits (B, C) and each position's share in the pooled vector (B, T), for showing what a decision
    /// rests on (see <see cref="SequencePooler.ForwardWithWeights"/>).</summary>
    public (Tensor Logits, Tensor PoolingWeights) ForwardWithWeights(Tensor ids, Tensor? keyPaddingMask = null)
    {
        using var scope = ForwardScope.Begin();
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        var h = Backbone.Forward(ids, keyPaddingMask);                    // (B, T, E)
        var (pooled, weights) = Pooler.ForwardWithWeights(h, keyPaddingMask);
        return (scope.Keep(Head.Forward(dropout.Forward(pooled))), scope.Keep(weights));
    }

    /// <summary>Mean cross-entropy of <see cref="Forward"/>'s logits against <paramref name="labels"/> (B) int64;
    /// <paramref name="classWeights"/> (C) weight each class's examples, e.g. inversely to their frequency for
    /// imbalanced data (torch's cross_entropy weight: the mean divides by the summed weights of the targets).</summary>
    public Tensor Loss(Tensor ids, Tensor labels, Tensor? keyPaddingMask = null, double labelSmoothing = 0.0, Tensor? classWeights = null) =>
        F.CrossEntropy(Forward(ids, keyPaddingMask), labels, labelSmoothing: labelSmoothing, weight: classWeights);
}
