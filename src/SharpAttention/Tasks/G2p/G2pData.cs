using System.Text;
using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Tasks.G2p;

/// <summary>One training pair: a word's letters and one of its pronunciations, as ids.</summary>
public sealed record G2pExample(int[] Source, int[] Target);

/// <summary>A batch for teacher forcing: source (B, S), decoder input &lt;bos&gt; + phonemes (B, T), and the phonemes +
/// &lt;eos&gt; it must predict (B, T); pads are 0.</summary>
public sealed record G2pBatch(Tensor Source, Tensor TargetIn, Tensor TargetOut, long TargetTokens);

/// <summary>Reads cmudict into the protocol's split and checks it, and turns it into vocabularies, examples and batches.</summary>
public static class G2pData
{
    /// <summary>Loads and splits the dictionary at <paramref name="path"/>; malformed lines are reported with their number.
    /// A UTF-8 file's entries whose spelling holds U+FFFD (characters lost before the file reached us: cmudict's DÉJÀ is
    /// "D\uFFFDJ\uFFFD") are left out after the split — so every other word keeps its part — and counted through
    /// <paramref name="note"/>; a file that is not UTF-8 is read as Latin-1 (cmudict 0.7b).</summary>
    /// <exception cref="FormatException">a malformed line, or too few words for the split.</exception>
    public static PronunciationSplit LoadSplit(string path, Action<string>? note = null)
    {
        var split = CmuDict.Split(CmuDict.Parse(new StringReader(Decode(path)), path));
        static bool Lost(PronunciationEntry e) => e.Word.Contains('\uFFFD');
        int lost = split.Train.Count(Lost) + split.Dev.Count(Lost) + split.Test.Count(Lost);
        if (lost > 0)
        {
            split = new([.. split.Train.Where(e => !Lost(e))], [.. split.Dev.Where(e => !Lost(e))], [.. split.Test.Where(e => !Lost(e))]);
            var lines = Decode(path).Split('\n').Select((line, i) => (line, i + 1)).Where(l => l.line.Contains('\uFFFD')).Select(l => l.Item2).ToArray();
            note?.Invoke($"{path}: skipped {lost} entr{(lost == 1 ? "y" : "ies")} whose spelling holds U+FFFD (lost characters), " +
                         $"line {string.Join(", ", lines.Take(5))}{(lines.Length > 5 ? ", …" : "")}");
        }
        if (split.Train.Count == 0 || split.Dev.Count == 0 || split.Test.Count == 0)
            throw new DataFormatException(path, null, $"too few words for a train/dev/test split ({split.Train.Count}/{split.Dev.Count}/{split.Test.Count}; at least 3 are needed)");
        return split;
    }

    /// <summary>The file's text: UTF-8, or Latin-1 when its bytes are not UTF-8.</summary>
    static string Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    /// <summary>Refuses a word spelt with control characters (binary junk) and a word or pronunciation longer than a
    /// model of <paramref name="maxLen"/> positions takes (letters + &lt;eos&gt;; &lt;bos&gt; + phonemes): before training or
    /// decoding, not deep inside them. With the dictionary's <paramref name="path"/> the error names its file and line.</summary>
    /// <exception cref="DataFormatException">the first entry that does not fit.</exception>
    public static void CheckEntries(IEnumerable<PronunciationEntry> entries, int maxLen, string? path = null)
    {
        foreach (var entry in entries)
        {
            DataFormatException Bad(string problem) =>
                path is null ? new DataFormatException("pronunciation data", null, problem) : new DataFormatException(path, LineOf(path, entry.Word), problem);
            if (entry.Word.Any(char.IsControl))
                throw Bad($"word '{entry.Word}' holds control characters; is this a binary file?");
            if (entry.Word.Length + 1 > maxLen)
                throw Bad($"word '{entry.Word}' has {entry.Word.Length} letters; max_len {maxLen} allows {maxLen - 1} (raise the recipe's max_len)");
            foreach (var p in entry.Pronunciations)
                if (p.Length + 1 > maxLen)
                    throw Bad($"the pronunciation of '{entry.Word}' has {p.Length} phonemes; max_len {maxLen} allows {maxLen - 1} (raise the recipe's max_len)");
        }
    }

    /// <summary>The first line of the file spelling <paramref name="word"/> (only looked up to report an error).</summary>
    static int LineOf(string path, string word)
    {
        int number = 0;
        foreach (var line in Decode(path).Split('\n'))
        {
            number++;
            var first = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            int paren = first.IndexOf('(');
            if (first == word || paren > 0 && first[..paren] == word) return number;
        }
        return 0;
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
