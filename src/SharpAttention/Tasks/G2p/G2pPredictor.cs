using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.Decoding;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Tasks.G2p;

/// <summary>One hypothesis: phonemes and their summed log-probability.</summary>
public sealed record Pronunciation(string[] Phonemes, double LogProb);

/// <summary>Turns words into pronunciations with a trained <see cref="G2pModel"/>, many words per batch.</summary>
public static class G2pPredictor
{
    /// <summary>Words decoded at once (the rows of each batch, times the beam width).</summary>
    public const int BatchSize = 256;

    /// <summary>The longest pronunciation decoded for a word of <paramref name="letters"/> letters.</summary>
    public static int MaxOutputLength(G2pModel model, int letters) => Math.Min(model.Recipe.MaxLen - 1, 2 * letters + 8);

    /// <summary>The n best pronunciations of each word (best first by summed log-probability), decoded with the KV
    /// cache by beam search of width <paramref name="beamWidth"/> (1 is greedy decoding). Letters the model never saw
    /// are read as &lt;unk&gt;.</summary>
    /// <exception cref="ArgumentException">a word is longer than the model reads.</exception>
    /// <exception cref="InvalidDataException">the model's weights are not finite (no pronunciation survives).</exception>
    public static IReadOnlyList<Pronunciation>[] Predict(G2pModel model, IReadOnlyList<string> words, int beamWidth = 1, int nBest = 1,
                                                        int batchSize = BatchSize) =>
        Predict([model], words, beamWidth, nBest, batchSize);

    /// <summary>The same with several models as an ensemble (<see cref="EnsembleDecoder"/>: their next-phoneme
    /// probabilities averaged at every step). The models must share both vocabularies; one model decodes alone.</summary>
    /// <exception cref="ArgumentException">the models' vocabularies differ, or a word is longer than a model reads.</exception>
    public static IReadOnlyList<Pronunciation>[] Predict(IReadOnlyList<G2pModel> models, IReadOnlyList<string> words, int beamWidth = 1,
                                                        int nBest = 1, int batchSize = BatchSize)
    {
        ArgumentNullException.ThrowIfNull(words);
        CheckSameVocabularies(models);
        int maxLen = models.Min(m => m.Recipe.MaxLen);
        foreach (var word in words)
            if (word.Length + 1 > maxLen)
                throw new ArgumentException($"word '{word}' has {word.Length} letters; the model reads at most {maxLen - 1} (its max_len {maxLen} counts <eos>)");
        var first = models[0];
        var ensemble = models.Count > 1 ? new EnsembleDecoder([.. models.Select(m => m.Network)]) : null;
        var results = new IReadOnlyList<Pronunciation>[words.Count];
        // Similar lengths together: less padding in each batch. Longest first, so each batch's caches fit in the pooled
        // buffers of the batch before (shortest first needed larger buffers every batch: fresh memory, page faults).
        var order = Enumerable.Range(0, words.Count).OrderByDescending(i => words[i].Length).ToArray();
        foreach (var model in models) model.Network.Eval();
        using var _ = GradMode.NoGrad();
        for (int start = 0, count; start < order.Length; start += count)
        {
            count = BatchWords(models, words[order[start]].Length, beamWidth, batchSize);
            var chunk = order[start..Math.Min(order.Length, start + count)];
            using var scope = TensorScope.Begin();
            var sources = chunk.Select(i => first.EncodeWord(words[i])).ToArray();
            var src = Padding.PadSequences(sources, Vocabulary.PadId).Ids;               // (B, S)
            int maxLength = models.Min(m => MaxOutputLength(m, sources.Max(s => s.Length)));
            var states = models.Select(m => m.Network.BeginDecoding(src, capacity: maxLength + 1)).ToArray();
            try
            {
                var hypotheses = ensemble is null
                    ? BeamSearch.Decode(first.Network, states[0], Vocabulary.BosId, maxLength, Vocabulary.EosId, beamWidth, nBest, padId: Vocabulary.PadId)
                    : BeamSearch.Decode(ensemble, ensemble.Begin(states), Vocabulary.BosId, maxLength, Vocabulary.EosId, beamWidth, nBest, padId: Vocabulary.PadId);
                for (int j = 0; j < chunk.Length; j++)
                {
                    // Beam search drops a candidate whose score is not a number; none left means the model's
                    // probabilities were NaN or all zero for this word, which only non-finite weights produce.
                    if (hypotheses[j].Count == 0)
                        throw new InvalidDataException($"decoding '{words[chunk[j]]}' yielded no pronunciation: every next phoneme had " +
                                                       "probability NaN or 0, so the model's weights are not finite; retrain it or use another checkpoint");
                    results[chunk[j]] = [.. hypotheses[j].Select(h => new Pronunciation(first.Phonemes.Decode(h.Tokens.Select(id => (int)id)), h.Score))];
                }
            }
            finally
            {
                foreach (var state in states) state.Dispose();   // the caches go back to the pool per batch
            }
        }
        return results;
    }

    /// <summary>Bytes of decoder caches one batch may hold at once. Beam search keeps, per decoder layer, the keys and
    /// values of every live row for the output so far and for the word (cross-attention), each twice (reordering
    /// copies into a second buffer); 256 long words at beam 5 took 1.35 GB, and the pool then kept buffers of every
    /// size the shrinking lengths asked for.</summary>
    public const long CacheBudgetBytes = 96L << 20;

    /// <summary>How many words, the longest of <paramref name="letters"/> letters, decode together: at most
    /// <paramref name="batchSize"/>, fewer where their caches would pass <see cref="CacheBudgetBytes"/>.</summary>
    public static int BatchWords(IReadOnlyList<G2pModel> models, int letters, int beamWidth, int batchSize)
    {
        // Per row and position: keys + values, twice, per layer, of d_model floats; positions: output + source (+ BOS/EOS).
        long perRow = models.Sum(m => (long)m.Recipe.NumDecoderLayers * 2 * 2 * m.Recipe.DModel * sizeof(float)
                                      * (MaxOutputLength(m, letters) + 1 + letters + 2));
        return (int)Math.Clamp(CacheBudgetBytes / Math.Max(1, perRow * beamWidth), 1, batchSize);
    }

    /// <summary>Refuses an ensemble whose models do not share both vocabularies (their probabilities could not be averaged).</summary>
    /// <exception cref="ArgumentException">no model, or one with other vocabularies than the first.</exception>
    public static void CheckSameVocabularies(IReadOnlyList<G2pModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException("G2P: at least one model is needed", nameof(models));
        for (int m = 1; m < models.Count; m++)
            if (!models[m].Graphemes.Tokens.SequenceEqual(models[0].Graphemes.Tokens) || !models[m].Phonemes.Tokens.SequenceEqual(models[0].Phonemes.Tokens))
                throw new ArgumentException($"ensemble: model {m + 1} was trained with other letter or phoneme vocabularies than model 1; only models trained on the same split decode together");
    }
}
