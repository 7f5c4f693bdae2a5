using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.Decoding;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Cli.G2p;

/// <summary>One hypothesis: phonemes and their summed log-probability.</summary>
public sealed record Pronunciation(string[] Phonemes, double LogProb);

/// <summary>Turns words into pronunciations with a trained <see cref="G2pModel"/>, many words per batch.</summary>
public static class G2pPredictor
{
    /// <summary>The longest pronunciation decoded for a word of <paramref name="letters"/> letters.</summary>
    public static int MaxOutputLength(G2pModel model, int letters) => Math.Min(model.Recipe.MaxLen - 1, 2 * letters + 8);

    /// <summary>The n best pronunciations of each word (best first by summed log-probability), decoded with the KV
    /// cache by beam search of width <paramref name="beamWidth"/> (1 is greedy decoding).</summary>
    public static IReadOnlyList<Pronunciation>[] Predict(G2pModel model, IReadOnlyList<string> words, int beamWidth = 1, int nBest = 1,
                                                        int batchSize = 256)
    {
        var results = new IReadOnlyList<Pronunciation>[words.Count];
        // Similar lengths together: less padding in each batch.
        var order = Enumerable.Range(0, words.Count).OrderBy(i => words[i].Length).ToArray();
        model.Network.Eval();
        using var _ = GradMode.NoGrad();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var chunk = order[start..Math.Min(order.Length, start + batchSize)];
            using var scope = TensorScope.Begin();
            var sources = chunk.Select(i => model.EncodeWord(words[i])).ToArray();
            var src = Padding.PadSequences(sources, Vocabulary.PadId).Ids;               // (B, S)
            int maxLength = MaxOutputLength(model, sources.Max(s => s.Length));
            using var state = model.Network.BeginDecoding(src, capacity: maxLength + 1);   // its caches go back to the pool per batch
            var hypotheses = BeamSearch.Decode(model.Network, state, Vocabulary.BosId, maxLength, Vocabulary.EosId, beamWidth, nBest,
                                               padId: Vocabulary.PadId);
            for (int j = 0; j < chunk.Length; j++)
                results[chunk[j]] = [.. hypotheses[j].Select(h => new Pronunciation(model.Phonemes.Decode(h.Tokens.Select(id => (int)id)), h.Score))];
        }
        return results;
    }
}
