using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention
{
    /// <summary>
    /// Additive attention (Bahdanau et al. 2015, "concat" score in Luong et al.): score(q, k) = vᵀ·tanh(W₁q + W₂k),
    /// weights = softmax over keys, output = weights·V. Queries and keys may differ in size. State_dict keys
    /// "query_proj.weight" (A, Dq) = W₁, "key_proj.weight" (A, Dk) = W₂ and "score_proj.weight" (1, A) = vᵀ, as
    /// bias-free Linear layers (torch's Linear init). The (B, L, S, A) tanh features are formed explicitly, so the
    /// weights always exist and are returned. The functional twin is <see cref="F.AdditiveAttention"/>.
    /// </summary>
    public sealed class AdditiveAttention : Module
    {
        readonly Generator? generator;

        public Linear QueryProj { get; }
        public Linear KeyProj { get; }
        public Linear ScoreProj { get; }
        public double Dropout { get; }

        public AdditiveAttention(int queryDim, int keyDim, int hiddenDim, double dropout = 0.0, DType dtype = DType.Float32, Generator? generator = null)
        {
            if (!(dropout >= 0 && dropout <= 1))
                throw new ArgumentException($"AdditiveAttention: dropout probability has to be between 0 and 1, but got {dropout}");
            QueryProj = RegisterModule("query_proj", new Linear(queryDim, hiddenDim, bias: false, dtype, generator));
            KeyProj = RegisterModule("key_proj", new Linear(keyDim, hiddenDim, bias: false, dtype, generator));
            ScoreProj = RegisterModule("score_proj", new Linear(hiddenDim, 1, bias: false, dtype, generator));
            (Dropout, this.generator) = (dropout, generator);
        }

        /// <summary>Attends and returns (output (B, L, Dv), weights (B, L, S)).</summary>
        /// <param name="query">(B, L, Dq)</param>
        /// <param name="key">(B, S, Dk)</param>
        /// <param name="value">(B, S, Dv)</param>
        /// <param name="attnMask">broadcastable to (B, L, S), e.g. (B, 1, S) padding; bool true = may attend, float added.
        /// A query that may attend no key gets zero weights and output.</param>
        public (Tensor Output, Tensor Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null) =>
            F.AdditiveAttention(query, key, value, QueryProj.Weight, KeyProj.Weight, ScoreProj.Weight, attnMask, Training ? Dropout : 0.0, generator);
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>
        /// Additive (Bahdanau) attention on explicit weights: scores = tanh(q·W₁ᵀ ⊕ k·W₂ᵀ)·vᵀ (B, L, S), masked softmax,
        /// dropout (<paramref name="dropoutP"/> as given), weights·V. Returns (output (B, L, Dv), weights (B, L, S)) with
        /// the weights taken before dropout; fully masked rows give zeros.
        /// </summary>
        /// <param name="query">(B, L, Dq)</param>
        /// <param name="key">(B, S, Dk)</param>
        /// <param name="value">(B, S, Dv)</param>
        /// <param name="queryWeight">W₁ (A, Dq)</param>
        /// <param name="keyWeight">W₂ (A, Dk)</param>
        /// <param name="scoreWeight">vᵀ (1, A)</param>
        /// <param name="attnMask">broadcastable to (B, L, S); bool true = may attend, float added</param>
        /// <param name="dropoutP">dropout on the weights</param>
        /// <param name="generator">dropout's random source</param>
        public static (Tensor Output, Tensor Weights) AdditiveAttention(Tensor query, Tensor key, Tensor value, Tensor queryWeight,
            Tensor keyWeight, Tensor scoreWeight, Tensor? attnMask = null, double dropoutP = 0.0, Generator? generator = null)
        {
            if (query.Dim != 3 || key.Dim != 3 || value.Dim != 3 || key.Size(0) != query.Size(0) || value.Size(0) != query.Size(0) || value.Size(1) != key.Size(1))
                throw new ArgumentException($"additive_attention: expected query (B, L, Dq), key (B, S, Dk), value (B, S, Dv), got " +
                                            $"{ShapeUtil.Format(query.Shape)}, {ShapeUtil.Format(key.Shape)}, {ShapeUtil.Format(value.Shape)}");
            // 1. Project: (B, L, A) and (B, S, A).
            var qp = Linear(query, queryWeight);
            var kp = Linear(key, keyWeight);
            // 2. Features for every (query, key) pair: tanh(W₁q + W₂k), (B, L, S, A).
            var features = (qp.Unsqueeze(2) + kp.Unsqueeze(1)).Tanh();
            // 3. Scores vᵀ·features, (B, L, S).
            var scores = Linear(features, scoreWeight).Squeeze(-1);
            // 4. Masked softmax over keys; 5. dropout; 6. weighted sum of values (B, L, Dv).
            var weights = MaskedSoftmax(scores, attnMask);
            var dropped = dropoutP > 0 ? Dropout(weights, dropoutP, training: true, generator) : weights;
            return (dropped.MatMul(value), weights);
        }

        /// <summary>
        /// Softmax over the last dim after applying a mask (bool true = keep, float added). A row left with no finite
        /// score would be NaN; it is softmaxed as zeros and then zeroed, so its weights and gradient are 0.
        /// </summary>
        internal static Tensor MaskedSoftmax(Tensor scores, Tensor? mask)
        {
            if (mask is not null)
                scores = mask.DType == DType.Bool ? scores.MaskedFill(mask.LogicalNot(), double.NegativeInfinity) : scores + mask.To(scores.DType);
            Tensor dead;   // (..., 1)
            using (GradMode.NoGrad()) dead = scores.Detach().Max(-1, keepdim: true).Values.Eq(double.NegativeInfinity);
            return scores.MaskedFill(dead, 0).Softmax(-1).MaskedFill(dead, 0);
        }
    }
}
