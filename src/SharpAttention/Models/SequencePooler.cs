using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>How an encoder classifier turns T token vectors into one.</summary>
public enum Pooling
{
    /// <summary>The first position's vector: the caller puts a [CLS] id first in every sequence (BERT).</summary>
    Cls,

    /// <summary>The mean over non-padding positions.</summary>
    Mean,

    /// <summary>The per-channel maximum over non-padding positions (Conneau et al. 2017's max pooling of InferSent).</summary>
    Max,

    /// <summary>A learned query vector attending over the non-padding positions: softmax(h·q) weights the tokens
    /// (Yang et al. 2016's attention pooling with the token vectors as keys), so the weights show what the decision
    /// rests on.</summary>
    Attention,
}

/// <summary>
/// Pools an encoder's (B, T, E) output to (B, E) by <see cref="Pooling"/>, never reading padding: a padded position
/// adds nothing to the mean, cannot be the maximum and gets zero attention. Only attention pooling has a parameter,
/// "query" (E), which starts at zero so that training starts from mean pooling. Every row needs one real token.
/// </summary>
public sealed class SequencePooler : Module
{
    public Pooling Mode { get; }

    /// <summary>(E), attention pooling only.</summary>
    public Tensor? Query { get; }

    public SequencePooler(Pooling mode, int dModel)
    {
        Mode = mode;
        Query = RegisterParameter("query", mode == Pooling.Attention ? Tensor.Zeros(dModel) : null);
    }

    /// <param name="h">(B, T, E)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding, or null</param>
    /// <returns>(B, E)</returns>
    public Tensor Forward(Tensor h, Tensor? keyPaddingMask = null) => Mode switch
    {
        Pooling.Cls => h.Select(1, 0),
        Pooling.Mean => MeanPool(h, keyPaddingMask),
        Pooling.Max => MaxPool(h, keyPaddingMask).Values,
        _ => AttentionPool(h, Query!, keyPaddingMask).Pooled,
    };

    /// <summary>
    /// The pooled vectors and how much each position contributed, (B, T) with rows summing to 1: one-hot at 0 for
    /// Cls, uniform over real tokens for Mean, the share of the E channels whose maximum a token holds for Max, the
    /// softmax for Attention. Padding always gets 0.
    /// </summary>
    public (Tensor Pooled, Tensor Weights) ForwardWithWeights(Tensor h, Tensor? keyPaddingMask = null)
    {
        int b = h.Size(0), t = h.Size(1), e = h.Size(2);
        switch (Mode)
        {
            case Pooling.Attention:
                return AttentionPool(h, Query!, keyPaddingMask);
            case Pooling.Max:
                var (values, indices) = MaxPool(h, keyPaddingMask);
                var winners = indices.ToInt64Array();                          // (B, E)
                var shares = new double[b * t];
                for (int i = 0; i < b; i++)
                    for (int c = 0; c < e; c++) shares[i * t + (int)winners[i * e + c]] += 1.0 / e;
                return (values, Tensor.FromArray(shares, b, t).To(h.DType));
            default:
                var keep = Keep(keyPaddingMask, b, t, h.DType);                // (B, T)
                var weights = Mode == Pooling.Cls
                    ? Tensor.FromArray(Enumerable.Range(0, b * t).Select(k => k % t == 0 ? 1.0 : 0.0).ToArray(), b, t).To(h.DType)
                    : keep / keep.Sum(1, keepdim: true).Clamp(min: 1);
                return (Forward(h, keyPaddingMask), weights);
        }
    }

    /// <summary>Mean over the non-padding positions: (B, T, E) → (B, E).</summary>
    public static Tensor MeanPool(Tensor h, Tensor? keyPaddingMask)
    {
        if (keyPaddingMask is null) return h.Mean(1);
        var pad = keyPaddingMask.Unsqueeze(-1);                            // (B, T, 1)
        var count = pad.LogicalNot().To(h.DType).Sum(1).Clamp(min: 1);    // (B, 1)
        return h.MaskedFill(pad, 0).Sum(1) / count;                        // (B, E)
    }

    /// <summary>Per-channel maximum over the non-padding positions: values (B, E) and the winning positions (B, E).</summary>
    public static (Tensor Values, Tensor Indices) MaxPool(Tensor h, Tensor? keyPaddingMask) =>
        (keyPaddingMask is null ? h : h.MaskedFill(keyPaddingMask.Unsqueeze(-1), double.NegativeInfinity)).Max(1);

    /// <summary>Attention pooling (functional): weights a = softmax over T of h·q with padding at −∞, pooled Σₜ aₜ hₜ.
    /// Unscaled, as in Yang et al. 2016: the query is a single learned vector, not a projection of E-dimensional
    /// activations, so the 1/√E of scaled dot-product attention would only slow it down — with Adam, whose steps
    /// have the same size whatever the gradient's, a score h·q/√E moves √E times less per step. (The spam recipe's
    /// weights stayed within 2 % of uniform with the scale, within about 20 % without: on a contextual encoder every
    /// token carries the verdict, so the pooling has little to choose; <see cref="EncoderClassifier.IntegratedGradients"/>
    /// is what shows which tokens the decision rests on.)</summary>
    /// <param name="h">(B, T, E)</param>
    /// <param name="query">(E)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding, or null</param>
    /// <returns>pooled (B, E) and weights (B, T)</returns>
    public static (Tensor Pooled, Tensor Weights) AttentionPool(Tensor h, Tensor query, Tensor? keyPaddingMask)
    {
        // 1. Scores of every token against the query.
        var scores = (h * query).Sum(-1);                                   // (B, T)
        // 2. Padding gets −∞, so exp gives it exactly zero weight.
        if (keyPaddingMask is not null) scores = scores.MaskedFill(keyPaddingMask, double.NegativeInfinity);
        var weights = scores.Softmax(-1);                                   // (B, T)
        // 3. The weighted sum; padded vectors are zeroed first so that even a non-finite one cannot leak in as 0·∞.
        var values = keyPaddingMask is null ? h : h.MaskedFill(keyPaddingMask.Unsqueeze(-1), 0);
        return ((values * weights.Unsqueeze(-1)).Sum(1), weights);          // (B, E)
    }

    static Tensor Keep(Tensor? keyPaddingMask, int b, int t, DType dtype) =>
        keyPaddingMask is null ? Tensor.Ones([b, t], dtype) : keyPaddingMask.LogicalNot().To(dtype);

    protected override string ExtraRepr() => $"mode={Mode.ToString().ToLowerInvariant()}";
}
