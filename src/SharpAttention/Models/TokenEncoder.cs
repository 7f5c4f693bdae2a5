using SharpAttention.NN;
using SharpAttention.NN.Positional;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// Token ids to contextual vectors: token embedding ("token_embedding"), positions ("position_embedding" learned,
/// "positional_encoding" sinusoidal, or RoPE inside attention), embedding dropout, and a batch-first
/// <see cref="TransformerEncoder"/> ("encoder", with a final "encoder.norm" when pre-LN). The backbone of
/// <see cref="EncoderClassifier"/> and <see cref="TokenTagger"/>.
/// </summary>
public sealed class TokenEncoder : Module
{
    readonly Dropout? dropout;

    public EncoderConfig Config { get; }
    public Embedding TokenEmbedding { get; }
    public LearnedPositionalEmbedding? PositionEmbedding { get; }
    public SinusoidalPositionalEncoding? PositionalEncoding { get; }
    public TransformerEncoder Encoder { get; }

    public TokenEncoder(EncoderConfig config, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(TokenEncoder));
        Config = config;
        int d = config.DModel;
        TokenEmbedding = RegisterModule("token_embedding", new Embedding(config.VocabSize, d, config.PadId, generator: generator));
        if (config.Positions == PositionEncoding.Sinusoidal)
            PositionalEncoding = RegisterModule("positional_encoding",
                new SinusoidalPositionalEncoding(d, config.Dropout, config.MaxLen, batchFirst: true, generator));
        else
        {
            if (config.Positions == PositionEncoding.Learned)
                PositionEmbedding = RegisterModule("position_embedding", new LearnedPositionalEmbedding(config.MaxLen, d, batchFirst: true, generator: generator));
            dropout = RegisterModule("dropout", new Dropout(config.Dropout, generator));
        }
        var rotary = config.Positions == PositionEncoding.Rotary ? new RotaryEmbedding(d / config.NumHeads) : null;
        Encoder = RegisterModule("encoder", new TransformerEncoder(
            _ => new TransformerEncoderLayer(d, config.NumHeads, config.DimFeedforward, config.Dropout, config.Activation, config.LayerNormEps,
                batchFirst: true, normFirst: config.NormFirst, generator: generator, rotary: rotary),
            config.NumLayers, config.NormFirst ? new LayerNorm(d, config.LayerNormEps) : null));
    }

    /// <summary>(B, T) bool, true at <see cref="EncoderConfig.PadId"/>; null without a pad id.</summary>
    public Tensor? PaddingMask(Tensor ids) => ModelParts.PaddingMask(ids, Config.PadId);

    /// <param name="ids">Int64 (B, T), T ≤ MaxLen (unless rotary)</param>
    /// <param name="keyPaddingMask">(B, T) true at padding; by default where ids equal the pad id</param>
    /// <param name="extraEmbedding">(B, T, E) added to the token embeddings before positions, e.g. each word's spelling
    /// (<see cref="CharWordEncoder"/>); null: none</param>
    /// <returns>(B, T, E)</returns>
    public Tensor Forward(Tensor ids, Tensor? keyPaddingMask = null, Tensor? extraEmbedding = null)
    {
        ModelParts.CheckIds(nameof(TokenEncoder), ids, Config.MaxLen, Config.Positions != PositionEncoding.Rotary);
        using var scope = ForwardScope.Begin();
        keyPaddingMask ??= PaddingMask(ids);
        var x = TokenEmbedding.Forward(ids);                              // (B, T, E)
        if (Config.ScaleEmbeddings) x = x * Math.Sqrt(Config.DModel);
        if (extraEmbedding != null) x = x + extraEmbedding;
        x = PositionalEncoding != null ? PositionalEncoding.Forward(x)    // + PE, dropout
            : dropout!.Forward(PositionEmbedding != null ? PositionEmbedding.Forward(x) : x);
        return scope.Keep(Encoder.Forward(x, srcKeyPaddingMask: keyPaddingMask));
    }
}
