using SharpAttention.Data.Datasets;
using SharpAttention.Training;

namespace SharpAttention.Tasks.G2p;

/// <summary>WER and PER of a model on a list of words (../shared/DATA.md's metrics), with the predictions.</summary>
public sealed record G2pScore(double WordErrorRate, double PhonemeErrorRate, int Words, IReadOnlyList<(PronunciationEntry Entry, string[] Predicted)> Predictions);

public static class G2pEvaluation
{
    public static G2pScore Score(G2pModel model, IReadOnlyList<PronunciationEntry> entries, int beamWidth) => Score([model], entries, beamWidth);

    /// <summary>The scores of several models decoding as an ensemble (<see cref="G2pPredictor.Predict(IReadOnlyList{G2pModel}, IReadOnlyList{string}, int, int, int)"/>).</summary>
    public static G2pScore Score(IReadOnlyList<G2pModel> models, IReadOnlyList<PronunciationEntry> entries, int beamWidth)
    {
        var predictions = G2pPredictor.Predict(models, [.. entries.Select(e => e.Word)], beamWidth);
        var rates = new SequenceErrorRates();
        var pairs = new List<(PronunciationEntry, string[])>(entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            var best = predictions[i][0].Phonemes;
            rates.Add(best, [.. entries[i].Pronunciations]);
            pairs.Add((entries[i], best));
        }
        return new G2pScore(rates.WordErrorRate, rates.SymbolErrorRate, entries.Count, pairs);
    }
}
