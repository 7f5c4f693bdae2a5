using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention
{
    /// <summary>
    /// Plain (unscaled) dot-product attention, softmax(Q·Kᵀ + mask)·V (Luong et al. 2015, "dot" score): scaled
    /// dot-product attention with scale 1, for inputs whose scale is already controlled. Masks follow
    /// <see cref="F.ScaledDotProductAttention"/>: bool true = may attend, float added. Dropout on the weights in
    /// training mode. No parameters. The functional twin is <see cref="F.DotProductAttention"/>.
    /// </summary>
    public sealed class DotProductAttention(double dropout = 0.0, Generator? generator = null) : Module
    {
        public double Dropout { get; } = dropout is >= 0 and <= 1 ? dropout
            : throw new ArgumentException($"DotProductAttention: dropout probability has to be between 0 and 1, but got {dropout}");

        /// <summary>Attends and returns (output, weights); weights (…, L, S) only when <paramref name="needWeights"/>,
        /// otherwise the fused kernel runs.</summary>
        /// <param name="query">(B, H, L, D) or (B, L, D)</param>
        /// <param name="key">(B, H, S, D) or (B, S, D)</param>
        /// <param name="value">(B, H, S, Dv) or (B, S, Dv)</param>
        /// <param name="attnMask">broadcastable to (B, H, L, S) (or (B, L, S)); bool true = may attend, float added</param>
        /// <param name="isCausal">query i attends keys j ≤ i</param>
        /// <param name="needWeights">also return the attention weights</param>
        public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, bool isCausal = false,
                                                        bool needWeights = true)
        {
            double p = Training ? Dropout : 0.0;
            if (!needWeights) return (F.DotProductAttention(query, key, value, attnMask, p, isCausal, generator), null);
            var (o, w) = F.ScaledDotProductAttentionWithWeights(query, key, value, attnMask, p, isCausal, scale: 1.0, generator: generator);
            return (o, w);
        }

        protected override string ExtraRepr() => $"dropout={Dropout}";
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>softmax(Q·Kᵀ + mask)·V: <see cref="ScaledDotProductAttention"/> with scale 1 (same shapes, masks,
        /// causal flag and dropout).</summary>
        public static Tensor DotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0.0,
                                                 bool isCausal = false, Generator? generator = null) =>
            ScaledDotProductAttention(query, key, value, attnMask, dropoutP, isCausal, scale: 1.0, generator: generator);
    }
}
