using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers
{
    /// <summary>
    /// The gated feed-forward of Llama (Shazeer 2020, "GLU Variants Improve Transformer"): w2(silu(w1·x) ⊙ w3·x), with
    /// Llama's state_dict names "w1.weight" (hidden, d), "w3.weight" (hidden, d) and "w2.weight" (d, hidden); biases
    /// only with bias: true. Linear layers initialised as torch's. Dropout, when given, acts on the gated hidden
    /// activations (where torch's Transformer layers drop after the activation). Functional twin <see cref="F.SwiGlu"/>.
    /// </summary>
    public sealed class SwiGluFeedForward : Module
    {
        readonly Dropout? dropout;

        public Linear W1 { get; }
        public Linear W2 { get; }
        public Linear W3 { get; }

        public SwiGluFeedForward(int dModel, int hidden, bool bias = false, double dropout = 0.0, DType dtype = DType.Float32, Generator? generator = null)
        {
            W1 = RegisterModule("w1", new Linear(dModel, hidden, bias, dtype, generator));
            W2 = RegisterModule("w2", new Linear(hidden, dModel, bias, dtype, generator));
            W3 = RegisterModule("w3", new Linear(dModel, hidden, bias, dtype, generator));
            if (dropout > 0) this.dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        }

        /// <param name="x">(..., d)</param>
        /// <returns>(..., d)</returns>
        public Tensor Forward(Tensor x)
        {
            var h = F.Silu(W1.Forward(x)) * W3.Forward(x);   // (..., hidden)
            if (dropout != null) h = dropout.Forward(h);
            return W2.Forward(h);
        }
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>SwiGLU feed-forward on explicit weights: linear(silu(linear(x, w1, b1)) ⊙ linear(x, w3, b3), w2, b2),
        /// with w1, w3 (hidden, d) and w2 (d, hidden) as Llama names them.</summary>
        public static Tensor SwiGlu(Tensor x, Tensor w1, Tensor w2, Tensor w3, Tensor? b1 = null, Tensor? b2 = null, Tensor? b3 = null) =>
            Linear(Silu(Linear(x, w1, b1)) * Linear(x, w3, b3), w2, b2);
    }
}
