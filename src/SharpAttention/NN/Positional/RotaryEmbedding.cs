using SharpAttention.Tensors;

namespace SharpAttention.NN.Positional
{
    /// <summary>
    /// Rotary position embedding, RoPE (Su et al. 2021, "RoFormer"), in the rotate-half form of GPT-NeoX and Llama:
    /// feature pairs (i, i + d/2) of each query and key vector are rotated by the angle p·θᵢ, θᵢ = base^(−2i/d), so
    /// q·k depends on positions only through their difference. Applied to q and k (B, H, T, D) after projection and
    /// before the scores. <see cref="Dim"/> may be less than the head size (GPT-NeoX's partial rotary): the remaining
    /// features pass through. Holds no trained state; "inv_freq" (d/2) is a non-persistent buffer, as in
    /// Hugging Face models, and cos/sin tables are cached and grown on demand.
    /// </summary>
    public sealed class RotaryEmbedding : Module
    {
        Tensor? cos, sin;   // (cached positions, Dim), float32

        /// <summary>Number of rotated features per head (even).</summary>
        public int Dim { get; }
        public double Base { get; }

        /// <summary>(Dim / 2): θᵢ = 1 / base^(2i / Dim), float32 as torch computes it.</summary>
        public Tensor InvFreq { get; }

        public RotaryEmbedding(int dim, double @base = 10000.0)
        {
            if (dim <= 0 || dim % 2 != 0) throw new ArgumentException($"RotaryEmbedding: dim must be positive and even, got {dim}");
            if (!(@base > 1)) throw new ArgumentException($"RotaryEmbedding: base must be > 1, got {@base}");
            (Dim, Base) = (dim, @base);
            var inv = new float[dim / 2];
            // Hugging Face's 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), step by step in float32.
            for (int i = 0; i < inv.Length; i++) inv[i] = 1f / (float)Math.Pow((float)@base, (float)(2 * i) / dim);
            InvFreq = RegisterBuffer("inv_freq", Tensor.FromArray(inv, inv.Length), persistent: false);
        }

        /// <summary>cos and sin of p·θ for positions offset … offset + length − 1, each (length, Dim) with the
        /// half-table repeated ([θ₀ … θ_{d/2−1}, θ₀ … θ_{d/2−1}]), float32.</summary>
        public (Tensor Cos, Tensor Sin) Tables(int length, int offset = 0)
        {
            if (offset < 0 || length < 0) throw new ArgumentException($"RotaryEmbedding: negative offset {offset} or length {length}");
            int needed = offset + length;
            if (cos == null || sin == null || cos.Size(0) < needed)
                (cos, sin) = F.RotaryTables(InvFreq, Math.Max(needed, 2 * (cos?.Size(0) ?? 0)));   // grow geometrically
            var (c, s) = (cos, sin);
            return (c!.Narrow(0, offset, length), s!.Narrow(0, offset, length));
        }

        /// <summary>Rotates one tensor whose positions are offset … offset + T − 1.</summary>
        /// <param name="x">(B, H, T, D) or any (..., T, D) with D ≥ Dim</param>
        /// <param name="offset">position of x's first step</param>
        public Tensor Apply(Tensor x, int offset = 0)
        {
            CheckInput(x);
            var (c, s) = Tables(x.Size(-2), offset);   // (T, Dim)
            return F.ApplyRotaryEmbedding(x, c.To(x.DType), s.To(x.DType));
        }

        /// <summary>Rotates one tensor by explicit Int64 positions (T) or (B, T), e.g. for left-padded batches.</summary>
        /// <param name="x">(B, H, T, D)</param>
        /// <param name="positions">Int64 (T) or (B, T)</param>
        public Tensor Apply(Tensor x, Tensor positions)
        {
            CheckInput(x);
            if (positions.DType != DType.Int64 || positions.Dim is not (1 or 2) || positions.Size(-1) != x.Size(-2))
                throw new ArgumentException($"RotaryEmbedding: positions must be int64 (T) or (B, T) with T = {x.Size(-2)}, got {positions.DType.TorchName()} {ShapeUtil.Format(positions.Shape)}");
            var all = positions.ToInt64Array();
            if (all.Length > 0 && (all.Min() < 0 || all.Max() >= int.MaxValue))
                throw new ArgumentException($"RotaryEmbedding: positions must lie in [0, {int.MaxValue}), got {all.Min()}..{all.Max()}");
            var (c, s) = Tables(all.Length == 0 ? 0 : (int)all.Max() + 1);          // (P, Dim)
            var flat = positions.Reshape(-1);
            int[] shape = positions.Dim == 1 ? [x.Size(-2), Dim] : [positions.Size(0), 1, x.Size(-2), Dim];   // (T, Dim) or (B, 1, T, Dim)
            return F.ApplyRotaryEmbedding(x, c.IndexSelect(0, flat).Reshape(shape).To(x.DType), s.IndexSelect(0, flat).Reshape(shape).To(x.DType));
        }

        /// <summary>Rotates query and key for a step whose positions start at <paramref name="offset"/> (the number of
        /// cached steps when decoding incrementally). q and k may differ in heads (GQA) and length: each is rotated
        /// by its own last T positions — k (S) from offset + T_q − S, so a query block and the full key cache line up.</summary>
        /// <param name="q">(B, H, T, D)</param>
        /// <param name="k">(B, Hkv, S, D)</param>
        /// <param name="offset">position of q's first step</param>
        public (Tensor Q, Tensor K) Forward(Tensor q, Tensor k, int offset = 0)
        {
            int kOffset = offset + q.Size(-2) - k.Size(-2);
            if (kOffset < 0) throw new ArgumentException($"RotaryEmbedding: key length {k.Size(-2)} exceeds offset {offset} + query length {q.Size(-2)}");
            return (Apply(q, offset), Apply(k, kOffset));
        }

        void CheckInput(Tensor x)
        {
            if (x.Dim < 2 || x.Size(-1) < Dim || !x.DType.IsFloatingPoint())
                throw new ArgumentException($"RotaryEmbedding: expected a float tensor (..., T, D) with D ≥ {Dim}, got {x.DType.TorchName()} {ShapeUtil.Format(x.Shape)}");
        }

        protected override string ExtraRepr() => $"dim={Dim}, base={Base}";
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>(cos, sin) of p·θ for p = 0 … length − 1, each (length, 2·θ.Length): the angles are rounded to
        /// float32 as torch's outer(t, inv_freq) rounds them, then duplicated for the rotate-half layout.</summary>
        /// <param name="invFreq">(D/2) float32 θ</param>
        /// <param name="length">number of positions</param>
        public static (Tensor Cos, Tensor Sin) RotaryTables(Tensor invFreq, int length)
        {
            var theta = invFreq.ToArray();
            int half = theta.Length, d = 2 * half;
            var c = new float[length * d];
            var s = new float[length * d];
            for (int p = 0; p < length; p++)
                for (int i = 0; i < half; i++)
                {
                    float angle = (float)p * theta[i];
                    c[p * d + i] = c[p * d + half + i] = (float)Math.Cos(angle);
                    s[p * d + i] = s[p * d + half + i] = (float)Math.Sin(angle);
                }
            return (Tensor.FromArray(c, length, d), Tensor.FromArray(s, length, d));
        }

        /// <summary>[−x₂, x₁] for x = [x₁, x₂] split in halves along the last dim (the rotate_half of GPT-NeoX/Llama).</summary>
        public static Tensor RotateHalf(Tensor x)
        {
            int half = x.Size(-1) / 2;
            return Tensor.Cat([x.Narrow(-1, half, half).Neg(), x.Narrow(-1, 0, half)], -1);
        }

        /// <summary>
        /// x·cos + rotate_half(x)·sin on the first cos.Size(−1) features of x; the rest pass through unchanged.
        /// Differentiable in x (the tables are constants).
        /// </summary>
        /// <param name="x">(..., T, D)</param>
        /// <param name="cos">broadcastable to (..., T, R), R ≤ D even</param>
        /// <param name="sin">same shape as cos</param>
        public static Tensor ApplyRotaryEmbedding(Tensor x, Tensor cos, Tensor sin)
        {
            int r = cos.Size(-1), d = x.Size(-1);
            if (r > d || r % 2 != 0 || !cos.Shape.SequenceEqual(sin.Shape))
                throw new ArgumentException($"apply_rotary_emb: cos {ShapeUtil.Format(cos.Shape)} and sin {ShapeUtil.Format(sin.Shape)} must match and rotate an even number ≤ {d} of features");
            var rot = r == d ? x : x.Narrow(-1, 0, r);          // (..., T, R)
            var y = rot * cos + RotateHalf(rot) * sin;
            return r == d ? y : Tensor.Cat([y, x.Narrow(-1, r, d - r)], -1);
        }
    }
}
