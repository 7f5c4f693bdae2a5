using SharpAttention.NN.Positional;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention
{
    /// <summary>
    /// Multi-head attention (Vaswani et al. 2017, §3.2.2), PyTorch's torch.nn.MultiheadAttention: the same
    /// constructor arguments, mask conventions, returned weights and state_dict keys — "in_proj_weight" (3E, E),
    /// "in_proj_bias" (3E), "out_proj.weight" (E, E), "out_proj.bias" (E); or "q_proj_weight" (E, E),
    /// "k_proj_weight" (E, kdim), "v_proj_weight" (E, vdim) when kdim or vdim differ from E. Initialised as torch:
    /// xavier_uniform projections, zero biases, out_proj.weight as a Linear's.
    /// <para>Beyond torch: grouped-query / multi-query attention (Ainslie et al. 2023; Shazeer 2019) with
    /// <c>numKvHeads</c> &lt; numHeads — then the projections are always separate, k and v of Hkv·D rows and
    /// in_proj_bias of E + 2·Hkv·D; isCausal without an explicit mask; and a query row that may attend no key gives
    /// zeros where torch gives NaN. Returned weights are taken before attention dropout (torch returns them after).
    /// With a <c>rotary</c> embedding (RoPE), queries and keys are rotated by their positions after projection, as
    /// Llama and GPT-NeoX do; it adds no state_dict entries.</para>
    /// The functional twin is <see cref="F.MultiHeadAttentionForward"/>.
    /// </summary>
    public sealed partial class MultiheadAttention : Module
    {
        readonly Generator? generator;

        public int EmbedDim { get; }
        public int NumHeads { get; }
        public int NumKvHeads { get; }
        public int HeadDim { get; }
        public int KDim { get; }
        public int VDim { get; }
        public double Dropout { get; }
        public bool BatchFirst { get; }

        /// <summary>(3E, E): q, k and v projections stacked, when kdim = vdim = E and no grouped-query heads.</summary>
        public Tensor? InProjWeight { get; }

        /// <summary>(E, E), (Hkv·D, kdim), (Hkv·D, vdim) when the projections are separate.</summary>
        public Tensor? QProjWeight { get; }
        public Tensor? KProjWeight { get; }
        public Tensor? VProjWeight { get; }

        /// <summary>(E + 2·Hkv·D) = (3E) without grouped-query heads: q, k, v biases in a row; null without bias.</summary>
        public Tensor? InProjBias { get; }

        public Linear OutProj { get; }

        /// <summary>Rotary position embedding applied to q and k after projection, or null (torch's behaviour).</summary>
        public RotaryEmbedding? Rotary { get; }

        public MultiheadAttention(int embedDim, int numHeads, double dropout = 0.0, bool bias = true, int? kdim = null, int? vdim = null,
                                  bool batchFirst = false, int? numKvHeads = null, DType dtype = DType.Float32, Generator? generator = null,
                                  RotaryEmbedding? rotary = null)
        {
            if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
                throw new ArgumentException($"MultiheadAttention: embed_dim {embedDim} must be positive and divisible by num_heads {numHeads}");
            int hkv = numKvHeads ?? numHeads;
            if (hkv <= 0 || numHeads % hkv != 0)
                throw new ArgumentException($"MultiheadAttention: num_heads {numHeads} must be a multiple of num_kv_heads {hkv}");
            if (!(dropout >= 0 && dropout <= 1))
                throw new ArgumentException($"MultiheadAttention: dropout probability has to be between 0 and 1, but got {dropout}");
            (EmbedDim, NumHeads, NumKvHeads, HeadDim) = (embedDim, numHeads, hkv, embedDim / numHeads);
            (KDim, VDim, Dropout, BatchFirst) = (kdim ?? embedDim, vdim ?? embedDim, dropout, batchFirst);
            this.generator = generator;
            int kvRows = hkv * HeadDim;

            // Registration order = torch's state_dict order.
            if (KDim == embedDim && VDim == embedDim && hkv == numHeads)
            {
                InProjWeight = RegisterParameter("in_proj_weight", Tensor.Zeros([3 * embedDim, embedDim], dtype));
                Init.XavierUniform_(InProjWeight, generator: generator);
            }
            else
            {
                QProjWeight = RegisterParameter("q_proj_weight", Tensor.Zeros([embedDim, embedDim], dtype));
                KProjWeight = RegisterParameter("k_proj_weight", Tensor.Zeros([kvRows, KDim], dtype));
                VProjWeight = RegisterParameter("v_proj_weight", Tensor.Zeros([kvRows, VDim], dtype));
                foreach (var w in new[] { QProjWeight, KProjWeight, VProjWeight }) Init.XavierUniform_(w, generator: generator);
            }
            InProjBias = RegisterParameter("in_proj_bias", bias ? Tensor.Zeros([embedDim + 2 * kvRows], dtype) : null);
            OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, dtype, generator));
            if (OutProj.Bias != null) Init.Zeros_(OutProj.Bias);
            if (rotary != null)
            {
                if (rotary.Dim > HeadDim) throw new ArgumentException($"MultiheadAttention: rotary dim {rotary.Dim} exceeds the head dim {HeadDim}");
                Rotary = RegisterModule("rotary", rotary);
            }
        }

        /// <summary>
        /// Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/> (pass one tensor three
        /// times for self-attention) and returns (output, weights).
        /// <para>Shapes (B batch, L query and S key length, E = embedDim): query (L, B, E), key (S, B, kdim), value (S, B, vdim)
        /// and output (L, B, E) — or (B, L, E)… when batch-first — or unbatched (L, E), (S, kdim), (S, vdim) → (L, E).</para>
        /// <para>Masks use torch's MultiheadAttention convention: a bool <paramref name="attnMask"/> is true where attending
        /// is NOT allowed, a float one is added to the scores; it is (L, S) or (B·H, L, S). A bool
        /// <paramref name="keyPaddingMask"/> (B, S) is true at padding keys; a float one is added. Both may be given.
        /// <paramref name="isCausal"/>: query i sees keys j ≤ i, aligned top-left as in torch (so not for a decoding step
        /// whose queries come after cached keys); an attnMask given with it is applied as well (torch requires one and
        /// trusts it to be causal — a causal mask is recognised and replaced by the faster flag).</para>
        /// <para>Weights, only when <paramref name="needWeights"/>: (B, L, S) averaged over heads, or (B, H, L, S) with
        /// <paramref name="averageAttnWeights"/> false; unbatched without the B. Without them the fused kernel runs and
        /// no (L, S) tensor is formed.</para>
        /// </summary>
        public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
            bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
        {
            if (!CaptureWeights)
                return F.MultiHeadAttentionForward(query, key, value, NumHeads, InProjWeight, InProjBias, OutProj.Weight, OutProj.Bias,
                    keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal, Training ? Dropout : 0.0,
                    QProjWeight, KProjWeight, VProjWeight, BatchFirst, generator, Rotary);
            var (output, perHead) = F.MultiHeadAttentionForward(query, key, value, NumHeads, InProjWeight, InProjBias, OutProj.Weight,
                OutProj.Bias, keyPaddingMask, needWeights: true, attnMask, averageAttnWeights: false, isCausal, Training ? Dropout : 0.0,
                QProjWeight, KProjWeight, VProjWeight, BatchFirst, generator, Rotary);
            CapturedWeights = perHead!.Detach().Contiguous();
            CapturedWeights.DetachFromScope();
            return (output, needWeights ? (averageAttnWeights ? perHead.Mean(perHead.Dim - 3) : perHead) : null);
        }

        /// <summary>
        /// Inspection switch (what a forward hook does in PyTorch): while true, every call also keeps its per-head
        /// attention weights in <see cref="CapturedWeights"/> — even when the caller (a Transformer layer) passes
        /// needWeights false — at the cost of running the composed path that forms them.
        /// </summary>
        public bool CaptureWeights { get; set; }

        /// <summary>The last call's weights while <see cref="CaptureWeights"/> is on: (B, H, L, S), or (H, L, S) unbatched.
        /// Detached, and outside any tensor scope.</summary>
        public Tensor? CapturedWeights { get; private set; }

        protected override string ExtraRepr() =>
            NumKvHeads == NumHeads ? "" : $"embed_dim={EmbedDim}, num_heads={NumHeads}, num_kv_heads={NumKvHeads}";
    }
}

namespace SharpAttention.NN
{
    public static partial class F
    {
        /// <summary>
        /// The computation of <see cref="Attention.MultiheadAttention"/> on explicit weights (torch's
        /// F.multi_head_attention_forward, without bias_k/bias_v/add_zero_attn/static_k/v): packed
        /// <paramref name="inProjWeight"/> (3E, E), or separate q (E, E), k (Hkv·D, kdim), v (Hkv·D, vdim) projections —
        /// the number of kv heads Hkv follows from k's rows. Shapes, masks and results as in
        /// <see cref="Attention.MultiheadAttention.Forward"/>; <paramref name="dropoutP"/> applies as given (pass 0 in eval).
        /// <paramref name="rotary"/> rotates q (positions 0 … L − 1) and k (its last S positions ending at L − 1) after the
        /// heads are split.
        /// </summary>
        public static (Tensor Output, Tensor? Weights) MultiHeadAttentionForward(Tensor query, Tensor key, Tensor value, int numHeads,
            Tensor? inProjWeight, Tensor? inProjBias, Tensor outProjWeight, Tensor? outProjBias, Tensor? keyPaddingMask = null,
            bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false, double dropoutP = 0.0,
            Tensor? qProjWeight = null, Tensor? kProjWeight = null, Tensor? vProjWeight = null, bool batchFirst = false,
            Generator? generator = null, Positional.RotaryEmbedding? rotary = null)
        {
            // 1. Lay out as (B, T, ·). Unbatched input gets a batch of one; sequence-first input is transposed (a view).
            bool unbatched = query.Dim == 2;
            if (query.Dim is not (2 or 3) || key.Dim != query.Dim || value.Dim != query.Dim)
                throw new ArgumentException($"multi_head_attention: query, key and value must all be 3-D (batched) or 2-D (unbatched), " +
                                            $"got {ShapeUtil.Format(query.Shape)}, {ShapeUtil.Format(key.Shape)}, {ShapeUtil.Format(value.Shape)}");
            bool sameKv = ReferenceEquals(key, value), selfAttention = sameKv && ReferenceEquals(query, key);
            if (unbatched)
            {
                (query, key, value) = (query.Unsqueeze(0), key.Unsqueeze(0), value.Unsqueeze(0));
                if (keyPaddingMask is { Dim: 1 }) keyPaddingMask = keyPaddingMask.Unsqueeze(0);
            }
            else if (!batchFirst)
                (query, key, value) = (query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1));
            int b = query.Size(0), l = query.Size(1), e = query.Size(2), s = key.Size(1);
            if (e % numHeads != 0) throw new ArgumentException($"multi_head_attention: embed_dim {e} not divisible by num_heads {numHeads}");
            int d = e / numHeads;
            if (key.Size(0) != b || value.Size(0) != b || value.Size(1) != s)
                throw new ArgumentException($"multi_head_attention: key {ShapeUtil.Format(key.Shape)} and value {ShapeUtil.Format(value.Shape)} " +
                                            $"must share batch and length with each other and the query's batch {b}");

            // 2. Project q (B, L, E), k (B, S, Hkv·D), v (B, S, Hkv·D).
            var (q, k, v) = inProjWeight is not null
                ? PackedProjection(query, key, value, inProjWeight, inProjBias, selfAttention, sameKv)
                : SeparateProjection(query, key, value, qProjWeight, kProjWeight, vProjWeight, inProjBias, e);
            int kvRows = k.Size(2);
            if (kvRows == 0 || kvRows % d != 0 || numHeads % (kvRows / d) != 0)
                throw new ArgumentException($"multi_head_attention: k/v projections of {kvRows} rows are not a divisor of {numHeads} heads of size {d}");
            int hkv = kvRows / d;

            // 3. Split heads: (B, L, E) → (B, H, L, D); (B, S, Hkv·D) → (B, Hkv, S, D). (Reshape copies only the
            //    column slices of a packed self-attention projection.)
            q = q.Reshape(b, l, numHeads, d).Transpose(1, 2);
            k = k.Reshape(b, s, hkv, d).Transpose(1, 2);
            v = v.Reshape(b, s, hkv, d).Transpose(1, 2);
            if (rotary is not null) (q, k) = rotary.Forward(q, k);

            // 4. Masks in scaled_dot_product_attention's convention (true = may attend), or right-padding as key lengths.
            var masks = Attention.MhaMasks.Prepare(attnMask, keyPaddingMask, isCausal, b, numHeads, l, s, q.DType, unbatched);

            // 5. Attention: with weights through the composed path, else the fused kernel. (B, H, L, D)
            Tensor attn, weights = null!;
            if (needWeights)
                (attn, weights) = ScaledDotProductAttentionWithWeights(q, k, v, masks.Mask, dropoutP, masks.IsCausal,
                    enableGqa: hkv != numHeads, keyLengths: masks.KeyLengths, generator: generator);
            else
                attn = ScaledDotProductAttention(q, k, v, masks.Mask, dropoutP, masks.IsCausal, enableGqa: hkv != numHeads,
                    keyLengths: masks.KeyLengths, generator: generator);

            // 6. Merge heads straight into the caller's layout, (B, H, L, D) → (B, L, E) or (L, B, E), and project; the
            //    output is contiguous either way, as torch's is.
            var merged = batchFirst || unbatched ? attn.Transpose(1, 2).Reshape(b, l, e) : attn.Permute(2, 0, 1, 3).Reshape(l, b, e);
            var output = Linear(merged, outProjWeight, outProjBias);
            if (unbatched) output = output.Squeeze(0);
            if (!needWeights) return (output, null);
            if (averageAttnWeights) weights = weights.Mean(1);   // (B, L, S)
            return (output, unbatched ? weights.Squeeze(0) : weights);
        }

        /// <summary>Packed (3E, E) projection: one GEMM for self-attention, q and a (2E) k/v GEMM when key is value.</summary>
        static (Tensor Q, Tensor K, Tensor V) PackedProjection(Tensor query, Tensor key, Tensor value, Tensor w, Tensor? bias,
                                                               bool selfAttention, bool sameKv)
        {
            int e = query.Size(2);
            if (w.Dim != 2 || w.Size(0) != 3 * e || w.Size(1) != e)
                throw new ArgumentException($"multi_head_attention: in_proj_weight must be ({3 * e}, {e}), got {ShapeUtil.Format(w.Shape)}");
            if (key.Size(2) != e || value.Size(2) != e)
                throw new ArgumentException($"multi_head_attention: packed projections need key and value of size {e}; use separate q/k/v weights for kdim/vdim");
            Tensor? Bias(int start, int n) => bias?.Narrow(0, start, n);
            if (selfAttention)
            {
                var qkv = Linear(query, w, bias).Split(e, -1);   // 3 × (B, L, E)
                return (qkv[0], qkv[1], qkv[2]);
            }
            var q = Linear(query, w.Narrow(0, 0, e), Bias(0, e));
            if (sameKv)
            {
                var kv = Linear(key, w.Narrow(0, e, 2 * e), Bias(e, 2 * e)).Split(e, -1);
                return (q, kv[0], kv[1]);
            }
            return (q, Linear(key, w.Narrow(0, e, e), Bias(e, e)), Linear(value, w.Narrow(0, 2 * e, e), Bias(2 * e, e)));
        }

        static (Tensor Q, Tensor K, Tensor V) SeparateProjection(Tensor query, Tensor key, Tensor value, Tensor? wq, Tensor? wk, Tensor? wv,
                                                                 Tensor? bias, int e)
        {
            if (wq is null || wk is null || wv is null)
                throw new ArgumentException("multi_head_attention: pass in_proj_weight, or all of q_proj_weight, k_proj_weight and v_proj_weight");
            if (wk.Dim != 2 || wv.Dim != 2 || wk.Size(0) != wv.Size(0))
                throw new ArgumentException($"multi_head_attention: k_proj_weight {ShapeUtil.Format(wk.Shape)} and v_proj_weight {ShapeUtil.Format(wv.Shape)} must have equal rows");
            int kv = wk.Size(0);
            if (bias is not null && (bias.Dim != 1 || bias.Size(0) != e + 2 * kv))
                throw new ArgumentException($"multi_head_attention: in_proj_bias must be ({e + 2 * kv},), got {ShapeUtil.Format(bias.Shape)}");
            return (Linear(query, wq, bias?.Narrow(0, 0, e)), Linear(key, wk, bias?.Narrow(0, e, kv)), Linear(value, wv, bias?.Narrow(0, e + kv, kv)));
        }
    }
}
