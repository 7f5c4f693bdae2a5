using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Cli.G2p;

/// <summary>One training pair: a word's letters and one of its pronunciations, as ids.</summary>
public sealed record G2pExample(int[] Source, int[] Target);

/// <summary>A batch for teacher forcing: source (B, S), decoder input &lt;bos&gt; + phonemes (B, T), and the phonemes +
/// &lt;eos&gt; it must predict (B, T); pads are 0.</summary>
public sealed record G2pBatch(Tensor Source, Tensor TargetIn, Tensor TargetOut, long TargetTokens);

/// <summary>Turns the cmudict split into vocabularies, examples and batches.</summary>
public static class G2pData
{
    /// <summary>Loads and splits the dictionary at <paramref name="path"/>; malformed lines are reported with their number.</summary>
    public static PronunciationSplit LoadSplit(string path)
    {
        try
        {
            var split = CmuDict.Split(CmuDict.Load(path));
            if (split.Train.Count == 0 || split.Dev.Count == 0 || split.Test.Count == 0)
                throw new CliException($"{path}: too few words for a train/dev/test split ({split.Train.Count}/{split.Dev.Count}/{split.Test.Count})");
            return split;
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>Vocabularies from the training part only: letters of its words, phonemes of its pronunciations.</summary>
    public static (Vocabulary Graphemes, Vocabulary Phonemes) BuildVocabularies(IReadOnlyList<PronunciationEntry> train) =>
        (Vocabulary.BuildCharacters(train.Select(e => e.Word)), Vocabulary.Build(train.SelectMany(e => e.Pronunciations)));

    /// <summary>One example per pronunciation.</summary>
    public static G2pExample[] Examples(G2pModel model, IReadOnlyList<PronunciationEntry> entries) =>
        [.. entries.SelectMany(e => e.Pronunciations.Select(p => new G2pExample(model.EncodeWord(e.Word), model.Phonemes.Encode(p))))];

    public static G2pBatch Collate(IReadOnlyList<G2pExample> examples)
    {
        var source = Padding.PadSequences([.. examples.Select(e => e.Source)], Vocabulary.PadId);
        var targetIn = Padding.PadSequences([.. examples.Select(e => (int[])[Vocabulary.BosId, .. e.Target])], Vocabulary.PadId);
        var targetOut = Padding.PadSequences([.. examples.Select(e => (int[])[.. e.Target, Vocabulary.EosId])], Vocabulary.PadId);
        return new G2pBatch(source.Ids, targetIn.Ids, targetOut.Ids, targetOut.TokenCount);
    }

    /// <summary>Batches of similar lengths (less padding), reshuffled each epoch from the seed, each cut into
    /// <paramref name="parts"/> equally long micro-batches for data-parallel replicas.</summary>
    public static DataLoader<G2pExample, G2pBatch> Loader(G2pExample[] examples, int batchSize, ulong seed, int parts = 1)
    {
        IBatchSampler sampler = new BucketBatchSampler([.. examples.Select(e => e.Source.Length + e.Target.Length)], batchSize, seed);
        return new(examples, parts > 1 ? new SplitBatchSampler(sampler, parts) : sampler, Collate);
    }
}
