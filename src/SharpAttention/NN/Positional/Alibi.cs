using SharpAttention.Tensors;

namespace SharpAttention.NN.Positional
{
    /// <summary>
    /// Attention with Linear Biases, ALiBi (Press et al. 2022, "Train Short, Test Long"): no position embeddings;
    /// instead each head h adds −m_h·(i − j) to the score of query position i and key position j, with the paper's
    /// geometric slopes m_h. <see cref="Forward"/> returns the bias (H, L, S) to pass as a float attention mask
    /// (broadcast over the batch). Holds no trained state; "slopes" (H) is a non-persistent buffer.
    /// </summary>
    public sealed class Alibi : Module
    {
        public int NumHeads { get; }

        /// <summary>(H) float32, head 0 first.</summary>
        public Tensor Slopes { get; }

        public Alibi(int numHeads)
        {
            if (numHeads <= 0) throw new ArgumentException($"Alibi: num_heads must be positive, got {numHeads}");
            NumHeads = numHeads;
            var slopes = F.AlibiSlopes(numHeads);
            Slopes = RegisterBuffer("slopes", Tensor.FromArray(Array.ConvertAll(slopes, v => (float)v), numHeads), persistent: false);
        }

        /// <summary>
        /// The bias −m_h·(qpos − kpos) as (H, L, S) float32, key positions 0 … S − 1 and query positions
        /// queryOffset … queryOffset + L − 1. <paramref name="queryOffset"/> defaults to S − L: the queries are the
        /// last L positions (a decoding step against its key cache; 0 when L = S). Keys after a query get a positive
        /// bias, so a decoder also needs <paramref name="causal"/>, which puts −∞ there (a float mask cannot be
        /// combined with isCausal). <paramref name="symmetric"/> uses −m_h·|qpos − kpos| for encoders instead.
        /// </summary>
        public Tensor Forward(int queryLength, int keyLength, int? queryOffset = null, bool causal = false, bool symmetric = false) =>
            F.AlibiBias(Slopes, queryLength, keyLength, queryOffset ?? keyLength - queryLength, causal, symmetric);

        protected override string ExtraRepr() => $"num_heads={NumHeads}";
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>
        /// ALiBi's head slopes as in the paper's reference code: for H a power of two, m_h = s^(h+1) with
        /// s = 2^(−8/H); otherwise the slopes for the largest power of two P &lt; H, followed by every other slope for
        /// 2P (the first H − P of them).
        /// </summary>
        public static double[] AlibiSlopes(int numHeads)
        {
            if (numHeads <= 0) throw new ArgumentException($"alibi: num_heads must be positive, got {numHeads}");
            if (int.IsPow2(numHeads)) return PowerOfTwoSlopes(numHeads);
            int p = 1 << (31 - int.LeadingZeroCount(numHeads));   // largest power of two below numHeads
            var extra = AlibiSlopes(2 * p).Where((_, i) => i % 2 == 0).Take(numHeads - p);
            return [.. PowerOfTwoSlopes(p), .. extra];
        }

        static double[] PowerOfTwoSlopes(int n)
        {
            double start = Math.Pow(2, -Math.Pow(2, -(Math.Log2(n) - 3)));   // 2^(−8/n), written as the reference code does
            var slopes = new double[n];
            for (int i = 0; i < n; i++) slopes[i] = start * Math.Pow(start, i);
            return slopes;
        }

        /// <summary>
        /// bias[h, i, j] = −slopes[h]·(queryOffset + i − j) (or −slopes[h]·|queryOffset + i − j| when symmetric), float32,
        /// (H, L, S); with <paramref name="causal"/>, −∞ where j &gt; queryOffset + i.
        /// </summary>
        /// <param name="slopes">(H) float32</param>
        /// <param name="queryLength">L</param>
        /// <param name="keyLength">S</param>
        /// <param name="queryOffset">position of the first query</param>
        /// <param name="causal">−∞ for keys after the query</param>
        /// <param name="symmetric">|distance| instead of distance</param>
        public static Tensor AlibiBias(Tensor slopes, int queryLength, int keyLength, int queryOffset, bool causal = false, bool symmetric = false)
        {
            if (slopes.Dim != 1) throw new ArgumentException($"alibi: slopes must be 1-D (H), got {ShapeUtil.Format(slopes.Shape)}");
            if (queryLength < 0 || keyLength < 0) throw new ArgumentException($"alibi: negative length L = {queryLength}, S = {keyLength}");
            var m = slopes.ToArray();
            int h = m.Length, l = queryLength, s = keyLength;
            var bias = new float[h * l * s];
            for (int head = 0; head < h; head++)
                for (int i = 0; i < l; i++)
                    for (int j = 0; j < s; j++)
                    {
                        int distance = queryOffset + i - j;   // > 0: key in the past
                        bias[(head * l + i) * s + j] = causal && distance < 0 ? float.NegativeInfinity
                            : m[head] * -(float)(symmetric ? Math.Abs(distance) : distance);
                    }
            return Tensor.FromArray(bias, h, l, s);
        }
    }
}
