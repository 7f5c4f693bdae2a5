using SharpAttention.Cli.Contract;
using SharpAttention.Tasks.G2p;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// Up-front memory estimates of g2p training and decoding, in float32 bytes, checked against <see cref="MemoryBudget"/>
/// before the network is built or a batch decoded. Deliberately on the high side: the unfused attention weights
/// (heads × length²) are counted although the fused kernel does not keep them.
/// </summary>
public static class G2pMemory
{
    const double Float = 4;

    /// <summary>The encoder-decoder's parameters (torch's nn.Transformer layout: in/out projections, two-layer
    /// feed-forward, layer norms; embeddings, learned positions and the output projection).</summary>
    public static double Parameters(G2pRecipe r, int srcVocab, int tgtVocab)
    {
        double d = r.DModel, f = r.DimFeedforward;
        double attention = 4 * d * d + 4 * d, feedForward = 2 * d * f + f + d, norm = 2 * d;
        double encoder = r.NumEncoderLayers * (attention + feedForward + 2 * norm);
        double decoder = r.NumDecoderLayers * (2 * attention + feedForward + 3 * norm);
        double positions = r.Positions == "learned" ? 2.0 * r.MaxLen * d : 0;
        return (srcVocab + tgtVocab) * d + positions + encoder + decoder + 2 * norm + (d + 1) * tgtVocab;
    }

    /// <summary>Weights, gradients, AdamW's two moments (and the moving average), each replica's own weights and
    /// gradients, and the activations a micro-batch of the longest examples keeps for the backward pass.</summary>
    public static void RequireTraining(G2pRecipe r, int srcVocab, int tgtVocab, int longestSource, int longestTarget, int concurrent)
    {
        double p = Parameters(r, srcVocab, tgtVocab);
        double state = p * Float * (4 + (r.EmaDecay is null ? 0 : 1) + 2 * (concurrent - 1));
        double rows = (double)r.BatchSize / r.Replicas * concurrent, s = longestSource, t = longestTarget;
        double perPosition = 12.0 * r.DModel + 2.0 * r.DimFeedforward;
        double weights = r.NumHeads * (s * s * r.NumEncoderLayers + (t * t + t * s) * r.NumDecoderLayers) * 2;
        double activations = rows * Float * ((s * r.NumEncoderLayers + 2 * t * r.NumDecoderLayers) * perPosition + weights + 3 * t * tgtVocab);
        MemoryBudget.Require("training this recipe", state + activations,
            $"{p / 1e6:N1} M parameters with gradients and optimizer state {MemoryBudget.Format(state)}, activations of {rows:0} rows up to {Math.Max(s, t):0} long {MemoryBudget.Format(activations)}",
            "lower d_model, dim_feedforward, the layers or batch_size");
    }

    /// <summary>The weights of every model and, per batch of words, the beam's self-attention KV caches (growing to the
    /// longest output), the cross-attention keys and values of the letters, and the logits.</summary>
    public static void RequireDecoding(IReadOnlyList<G2pModel> models, IReadOnlyList<string> words, int beam, int batchSize = G2pPredictor.BatchSize)
    {
        if (words.Count == 0) return;
        int letters = words.Max(w => w.Length);
        double rows = (double)Math.Min(batchSize, words.Count) * beam, total = 0, caches = 0;
        foreach (var m in models)
        {
            var r = m.Recipe;
            double s = letters + 1, capacity = G2pPredictor.MaxOutputLength(m, letters) + 1;
            double cache = 2 * r.NumDecoderLayers * rows * (capacity + s) * r.DModel * Float + 2 * rows * m.Phonemes.Count * Float;
            caches += cache;
            total += cache + Parameters(r, m.Graphemes.Count, m.Phonemes.Count) * Float;
        }
        MemoryBudget.Require($"decoding with beam {beam}", total,
            $"{rows:0} hypotheses at once, KV caches {MemoryBudget.Format(caches)}", "lower --beam (or the recipe's beam_width)");
    }
}
