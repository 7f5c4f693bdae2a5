using SharpAttention.NN;
using SharpAttention.NN.Positional;
using Alibi = SharpAttention.NN.Positional.Alibi;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// A decoder-only (GPT-style) language model (Radford et al. 2019; Touvron et al. 2023): token embedding, positions,
/// pre-LN <see cref="TransformerEncoderLayer"/>s run with causal self-attention (ALiBi: its bias as a float mask), a final norm and an output projection
/// tied to the embedding by default. State_dict keys: "token_embedding.weight", "position_embedding.weight" (learned
/// positions), "layers.N.self_attn.*", "layers.N.linear1/linear2.*" or "layers.N.feed_forward.w1/w2/w3.weight",
/// "layers.N.norm1/norm2.*", "norm.*", "lm_head.weight" (the embedding's tensor again when tied, as torch's
/// state_dict lists tied weights). <see cref="Forward"/> gives next-token logits (B, T, V); <see cref="Loss"/> the mean
/// cross-entropy of predicting each next token; <see cref="BeginDecoding"/> and <see cref="Step"/> decode
/// incrementally with a KV cache (CausalLanguageModel.Incremental.cs).
/// </summary>
public sealed partial class CausalLanguageModel : Module
{
    readonly Dropout dropout;
    readonly Alibi? alibi;

    public CausalLMConfig Config { get; }
    public Embedding TokenEmbedding { get; }
    public LearnedPositionalEmbedding? PositionEmbedding { get; }
    public ModuleList<TransformerEncoderLayer> Layers { get; }
    public Module Norm { get; }
    internal OutputProjection LmHead { get; }

    public CausalLanguageModel(CausalLMConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.VocabSize <= 0 || config.MaxLen <= 0 || config.NumLayers < 0)
            throw new ArgumentException($"CausalLanguageModel: vocab_size and max_len must be positive and num_layers non-negative, got {config}");
        Config = config;
        int d = config.DModel;
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(config.VocabSize, d, generator: generator));
        if (config.Positions == PositionEncoding.Learned)
            PositionEmbedding = RegisterModule("position_embedding", new LearnedPositionalEmbedding(config.MaxLen, d, batchFirst: true, generator: generator));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        if (config.Positions == PositionEncoding.Alibi) alibi = RegisterModule("alibi", new Alibi(config.NumHeads));   // no persistent state
        var rotary = config.Positions == PositionEncoding.Rotary ? new RotaryEmbedding(d / config.NumHeads, config.RopeBase) : null;
        Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, config.NumLayers).Select(_ =>
            new TransformerEncoderLayer(d, config.NumHeads, config.DimFeedforward, config.Dropout, config.Activation, config.NormEps,
                batchFirst: true, normFirst: true, bias: config.Bias, generator: generator, numKvHeads: config.NumKvHeads,
                norm: config.Norm, rotary: rotary))));
        Norm = RegisterModule<Module>("norm", config.Norm == NormKind.RmsNorm ? new RmsNorm(d, config.NormEps)
                                                                     : new LayerNorm(d, config.NormEps, bias: config.Bias));
        LmHead = RegisterModule("lm_head", new OutputProjection(config.TieWeights ? TokenEmbedding.Weight : Tensor.Zeros(config.VocabSize, d)));
        ResetParameters(generator);
    }

    /// <summary>GPT-2's initialisation: every weight matrix and embedding N(0, InitStd), the projections back into the
    /// residual stream (attention out_proj, linear2 / w2) N(0, InitStd / √(2·layers)), biases 0, norms 1.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        double std = Config.InitStd, residual = std / Math.Sqrt(2.0 * Math.Max(1, Config.NumLayers));
        using var _ = Autograd.GradMode.NoGrad();
        foreach (var (name, p) in NamedParameters())
        {
            if (p.Dim < 2) { if (name.EndsWith("bias", StringComparison.Ordinal)) Init.Zeros_(p); continue; }
            bool toResidual = name.EndsWith("out_proj.weight", StringComparison.Ordinal) || name.EndsWith("linear2.weight", StringComparison.Ordinal)
                              || name.EndsWith("w2.weight", StringComparison.Ordinal);
            Init.Normal_(p, 0, toResidual ? residual : std, generator);
        }
    }

    /// <summary>Token embeddings plus learned or sinusoidal positions starting at <paramref name="offset"/> (a decoding
    /// step's cache length; RoPE is applied inside attention), then dropout.</summary>
    Tensor Embed(Tensor ids, int offset = 0)
    {
        ModelParts.CheckIds(nameof(CausalLanguageModel), ids, Config.MaxLen, Config.Positions == PositionEncoding.Learned);
        var x = TokenEmbedding.Forward(ids);                                         // (B, T, E)
        if (Config.Positions == PositionEncoding.Learned) x = PositionEmbedding!.Forward(x, offset);
        else if (Config.Positions == PositionEncoding.Sinusoidal)
            x = x + F.SinusoidalPositionalEncoding(ids.Size(1), Config.DModel, offset).To(x.DType);   // (T, E) broadcast
        return dropout.Forward(x);
    }

    /// <param name="ids">Int64 (B, T)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding (right padding needs none: later positions are never seen)</param>
    /// <returns>logits (B, T, V): position t predicts token t + 1</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null)
    {
        using var scope = ForwardScope.Begin();
        var x = Embed(ids);                                                          // (B, T, E)
        var bias = AlibiBias(ids.Size(0), ids.Size(1), 0);                           // (B·H, T, T) or null
        foreach (var layer in Layers) x = bias is null ? layer.Forward(x, srcKeyPaddingMask: keyPaddingMask, isCausal: true)
                                                       : layer.Forward(x, bias, keyPaddingMask);
        x = Norm is RmsNorm rms ? rms.Forward(x) : ((LayerNorm)Norm).Forward(x);
        return scope.Keep(LmHead.Forward(x));                                        // (B, T, V)
    }

    /// <summary>ALiBi's causal bias for T queries after <paramref name="offset"/> cached positions: (B·H, T, offset + T)
    /// as the layers take a float mask (B ≥ 1), or null without ALiBi.</summary>
    internal Tensor? AlibiBias(int batch, int t, int offset)
    {
        if (alibi is null) return null;
        var bias = alibi.Forward(t, offset + t, causal: true).To(TokenEmbedding.Weight.DType);   // (H, T, S)
        return batch == 1 ? bias : bias.Unsqueeze(0).Expand(batch, bias.Size(0), t, offset + t).Reshape(batch * bias.Size(0), t, offset + t);
    }

    /// <summary>Mean next-token cross-entropy. Without <paramref name="targets"/>, ids[:, :-1] predict ids[:, 1:];
    /// with them, ids predict targets (B, T) position by position. Targets equal to <paramref name="ignoreIndex"/> (e.g.
    /// padding) count for nothing.</summary>
    public Tensor Loss(Tensor ids, Tensor? targets = null, long ignoreIndex = -100)
    {
        if (targets is null)
        {
            int t = ids.Size(1);
            if (t < 2) throw new ArgumentException($"CausalLanguageModel: need at least 2 tokens to predict the next one, got {t}");
            (ids, targets) = (ids.Narrow(1, 0, t - 1), ids.Narrow(1, 1, t - 1));
        }
        var logits = Forward(ids);
        return F.CrossEntropy(logits.Reshape(-1, Config.VocabSize), targets.Reshape(-1), ignoreIndex);
    }
}
