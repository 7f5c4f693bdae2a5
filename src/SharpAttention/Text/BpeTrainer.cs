using System.Text;

namespace SharpAttention.Text;

/// <summary>
/// Trains a GPT-2 style byte-level BPE (Radford et al. 2019; Hugging Face <c>tokenizers</c>' BpeTrainer with the
/// ByteLevel pre-tokenizer): the corpus is split by <see cref="ByteLevelBpe.Gpt2Pattern"/>, each word is spelled in its
/// UTF-8 bytes, and the most frequent adjacent pair is merged until the vocabulary is full. Ids: the special tokens
/// first, in the order given, then the 256 byte symbols in code-point order (GPT-2's order), then the merged tokens in
/// merge order. The result saves as vocab.json + merges.txt that <see cref="ByteLevelBpe.Load"/>, Hugging Face
/// <c>tokenizers</c> and <c>transformers</c>' GPT2Tokenizer read.
/// </summary>
public sealed class BpeTrainer(BpeTrainerOptions? options = null)
{
    public BpeTrainerOptions Options { get; } = options ?? new BpeTrainerOptions();

    /// <summary>Trains on <paramref name="texts"/>, each pre-tokenized on its own (a text is a document or a line).
    /// The sequence is read once, in blocks, so it may stream from anywhere.</summary>
    public ByteLevelBpeModel Train(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        Options.Validate();
        return Merge(WordCounter.CountTexts(texts, ByteLevelBpe.Gpt2Regex(), ThreadCount, CountingProgress()));
    }

    /// <summary>Trains on UTF-8 text files; a folder stands for every file under it (recursively, in ordinal path
    /// order). Each line with its line end is pre-tokenized on its own, as Hugging Face's trainer reads files.</summary>
    public ByteLevelBpeModel TrainFromFiles(params IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Options.Validate();
        var files = paths.SelectMany(ExpandPath).ToList();
        return Merge(WordCounter.CountFiles(files, ByteLevelBpe.Gpt2Regex(), ThreadCount, CountingProgress()));
    }

    int ThreadCount => Options.Threads ?? Environment.ProcessorCount;

    Action<long>? CountingProgress() => Options.Progress is { } p ? n => p.Report(new(BpeTrainerStage.CountingWords, n, null)) : null;

    static IEnumerable<string> ExpandPath(string path)
    {
        if (File.Exists(path)) return [path];
        if (Directory.Exists(path))
            return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        throw new FileNotFoundException($"training data '{path}' is neither a file nor a folder", path);
    }

    ByteLevelBpeModel Merge(Dictionary<string, long> wordCounts)
    {
        var tokens = new List<string>(Options.SpecialTokens);
        var present = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (char c in ByteLevelAlphabet.CharsInIdOrder)
            if (present.Add(c.ToString())) tokens.Add(c.ToString());
        var byteIds = new int[256];
        for (int b = 0; b < 256; b++) byteIds[b] = tokens.IndexOf(ByteLevelAlphabet.ByteToChar[b].ToString());

        // Sorted so the merger sees the same word order however the counting threads interleaved.
        var words = new List<(int[] Symbols, long Count)>(wordCounts.Count);
        foreach (var word in wordCounts.Keys.Order(StringComparer.Ordinal))
        {
            var bytes = Encoding.UTF8.GetBytes(word);  // a lone surrogate becomes U+FFFD's bytes, as when encoding
            var symbols = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) symbols[i] = byteIds[bytes[i]];
            words.Add((symbols, wordCounts[word]));
        }
        var progress = Options.Progress;
        int planned = Math.Max(0, Options.VocabSize - tokens.Count);
        var merges = new BpeMerger(tokens, words).Run(Options.VocabSize, Options.MinFrequency,
            progress is null ? null : done => { if (done % 100 == 0) progress.Report(new(BpeTrainerStage.Merging, done, planned)); });
        progress?.Report(new(BpeTrainerStage.Merging, merges.Count, planned));
        var specials = Options.SpecialTokens.ToDictionary(s => s, s => tokens.IndexOf(s), StringComparer.Ordinal);
        return new ByteLevelBpeModel(tokens, merges, specials);
    }
}
