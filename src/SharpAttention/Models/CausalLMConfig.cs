using SharpAttention.NN.Transformers;

namespace SharpAttention.Models;

/// <summary>
/// A decoder-only language model (<see cref="CausalLanguageModel"/>). Defaults are a small modern decoder — RoPE,
/// SwiGLU, RMSNorm, no biases, tied embeddings; the presets give GPT-2's layout (learned positions, GELU, LayerNorm,
/// biases) and a Llama-style one.
/// </summary>
public sealed record CausalLMConfig(int VocabSize)
{
    /// <summary>Width of every token vector (E).</summary>
    public int DModel { get; init; } = 256;

    public int NumHeads { get; init; } = 4;

    /// <summary>Key/value heads for grouped-query attention; null means NumHeads (plain multi-head).</summary>
    public int? NumKvHeads { get; init; }

    public int NumLayers { get; init; } = 4;

    /// <summary>Feed-forward hidden width: 4 × DModel for GELU, about 8/3 × DModel for SwiGLU (same parameter count).</summary>
    public int DimFeedforward { get; init; } = 688;

    /// <summary>Longest context: rows of the learned position table; RoPE has no table and no limit.</summary>
    public int MaxLen { get; init; } = 1024;

    /// <summary>Dropout on embeddings, attention weights and sublayer outputs (0 for pre-training at scale).</summary>
    public double Dropout { get; init; }

    /// <summary>Rotary (RoPE), Learned (GPT-2) or Alibi (a per-head distance penalty, Press et al. 2022); Sinusoidal
    /// is accepted too.</summary>
    public PositionEncoding Positions { get; init; } = PositionEncoding.Rotary;

    /// <summary>RoPE's base θ.</summary>
    public double RopeBase { get; init; } = 10000.0;

    /// <summary>SwiGlu (Llama: feed_forward.w1/w2/w3) or Gelu (GPT-2: linear1/linear2).</summary>
    public Activation Activation { get; init; } = Activation.SwiGlu;

    public NormKind Norm { get; init; } = NormKind.RmsNorm;
    public double NormEps { get; init; } = 1e-5;

    /// <summary>Biases in attention, feed-forward and LayerNorm (GPT-2 has them, Llama not).</summary>
    public bool Bias { get; init; }

    /// <summary>The output projection shares the token embedding's weight (Press &amp; Wolf 2017).</summary>
    public bool TieWeights { get; init; } = true;

    /// <summary>Standard deviation of the initial weights (GPT-2's 0.02); residual projections get
    /// InitStd / √(2·NumLayers).</summary>
    public double InitStd { get; init; } = 0.02;

    /// <summary>2 layers of 64, 2 heads: for tests and toy data.</summary>
    public static CausalLMConfig Tiny(int vocabSize) =>
        new(vocabSize) { DModel = 64, NumHeads = 2, NumLayers = 2, DimFeedforward = 172, MaxLen = 256 };

    /// <summary>GPT-2 small (124M with its 50257 tokens): 12 layers of 768, 12 heads, learned positions up to 1024,
    /// GELU, LayerNorm, biases, tied embeddings, dropout 0.1.</summary>
    public static CausalLMConfig Gpt2Small(int vocabSize = 50257) => new(vocabSize)
    {
        DModel = 768, NumHeads = 12, NumLayers = 12, DimFeedforward = 3072, MaxLen = 1024, Dropout = 0.1,
        Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormKind.LayerNorm, Bias = true,
    };

    /// <summary>A Llama-style decoder of about 100M parameters without the embeddings: 12 layers of 768, 12 heads with
    /// 4 key/value heads, RoPE, SwiGLU, RMSNorm, no biases, untied output.</summary>
    public static CausalLMConfig LlamaStyle(int vocabSize) => new(vocabSize)
    {
        DModel = 768, NumHeads = 12, NumKvHeads = 4, NumLayers = 12, DimFeedforward = 2048, MaxLen = 4096, NormEps = 1e-6,
        TieWeights = false,
    };
}
