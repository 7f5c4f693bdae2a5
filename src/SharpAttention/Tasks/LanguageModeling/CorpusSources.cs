using SharpAttention.Data;
using SharpAttention.Data.Datasets;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>Where a language model's text comes from: the user's files (split by documents), or the Brown corpus under
/// Bengio et al.'s protocol.</summary>
public static class CorpusSources
{
    /// <summary>
    /// Documents of <paramref name="data"/> (a file or folder), with validation and test parts from
    /// <paramref name="valid"/> / <paramref name="test"/> when given, else split off the documents of data by a seeded
    /// permutation: <paramref name="validShare"/> and <paramref name="testShare"/> of them (at least one document each
    /// when the share is positive). The documents are re-read, not held, each time a part is enumerated.
    /// </summary>
    /// <exception cref="DataFormatException">data holds no document, or too few to split.</exception>
    public static LanguageModelCorpus Files(string data, string? valid, string? test, DocumentSplit split, double validShare, double testShare, ulong seed)
    {
        IEnumerable<string> Read(string path) => TextDocuments.Read([path], split);
        int count = Read(data).Count();
        if (count == 0) throw new DataFormatException(data, null, "holds no text");
        double vs = valid != null ? 0 : validShare, ts = test != null ? 0 : testShare;
        int nValid = Take(count, vs), nTest = Take(count, ts);
        if (nValid + nTest >= count)
            throw new DataFormatException(data, null, $"{count} document{(count == 1 ? "" : "s")} ({(split == DocumentSplit.File ? "one per file" : "blank-line-separated blocks")}) " +
                "cannot be split into training, validation and test parts; give more documents or --valid and --test files");
        var part = new byte[count];   // 0 train, 1 valid, 2 test
        var order = Shuffling.Permutation(count, seed);
        for (int i = 0; i < nValid; i++) part[order[i]] = 1;
        for (int i = nValid; i < nValid + nTest; i++) part[order[i]] = 2;
        IEnumerable<string> Part(byte p) => Read(data).Where((_, i) => part[i] == p);
        return new LanguageModelCorpus(Part(0), valid != null ? Read(valid) : Part(1), test != null ? Read(test) : Part(2));
    }

    static int Take(int count, double share) => share <= 0 ? 0 : Math.Max(1, (int)Math.Round(count * share));

    /// <summary>Words of the Brown corpus's training, validation and test parts under ../shared/DATA.md's protocol
    /// (Bengio et al. 2003): the token stream in file order, tags dropped, first 800,000 tokens train, next 200,000
    /// validation, the rest (161,192) test — each part one document of space-separated words.</summary>
    public static LanguageModelCorpus Brown(BrownCorpus corpus, int trainTokens = 800_000, int validTokens = 200_000)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var words = corpus.Tokens().Select(t => t.Word).ToArray();
        if (words.Length <= trainTokens + validTokens)
            throw new DataFormatException(corpus.Directory, null, $"the corpus has {words.Length:N0} tokens; the protocol needs more than {trainTokens + validTokens:N0}");
        string Join(int from, int to) => string.Join(' ', words[from..to]);
        return new LanguageModelCorpus([Join(0, trainTokens)], [Join(trainTokens, trainTokens + validTokens)], [Join(trainTokens + validTokens, words.Length)]);
    }
}
