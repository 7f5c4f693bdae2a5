using System.Globalization;

namespace SharpAttention.Text;

/// <summary>Settings of <see cref="CharLevelTrainer"/>.</summary>
public sealed record CharLevelTrainerOptions
{
    /// <summary>Largest vocabulary, special tokens included; null keeps every character seen <see cref="MinFrequency"/> times.</summary>
    public int? VocabSize { get; init; }

    /// <summary>Fewest sightings that earn a character its own id; rarer ones become the unknown token.</summary>
    public int MinFrequency { get; init; } = 1;

    /// <summary>Lower-case text before counting and lookup.</summary>
    public bool LowerCase { get; init; }

    /// <summary>The special tokens, given the first ids; must declare unk.</summary>
    public SpecialTokens SpecialTokens { get; init; } = SpecialTokens.Sequence;
}

/// <summary>Builds a <see cref="CharLevelTokenizer"/> from a corpus: counts text elements in parallel, then ids go
/// to the special tokens and to the elements seen MinFrequency times, most frequent first, ties in ordinal order.</summary>
public static class CharLevelTrainer
{
    public static CharLevelTokenizer Train(IEnumerable<string> lines, CharLevelTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null)
    {
        options ??= new CharLevelTrainerOptions();
        var counts = UnitCounter.Count(lines, (line, into) =>
        {
            var text = (options.LowerCase ? line.ToLowerInvariant() : line).AsSpan();
            for (int i = 0, n; i < text.Length; i += n)
            {
                n = StringInfo.GetNextTextElementLength(text[i..]);
                UnitCounter.Add(into, text.Slice(i, n));
            }
        }, progress);
        var tokens = LookupTrainer.Select(counts, options.SpecialTokens, options.MinFrequency, options.VocabSize);
        return new CharLevelTokenizer(tokens, options.SpecialTokens.Unk!, options.SpecialTokens.Distinct(), options.LowerCase);
    }

    /// <summary>Trains on the lines of files, or of every file under folders (<see cref="TextCorpus.Lines"/>).</summary>
    public static CharLevelTokenizer TrainFromFiles(IEnumerable<string> paths, CharLevelTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null) => Train(TextCorpus.Lines(paths), options, progress);
}

/// <summary>The vocabulary choice both lookup trainers make.</summary>
internal static class LookupTrainer
{
    public static List<string> Select(Dictionary<string, long> counts, SpecialTokens specials, int minFrequency, int? vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        if (specials.Unk is null) throw new ArgumentException("the special tokens must declare unk_token: unseen units need an id", nameof(specials));
        var first = specials.Distinct();
        if (vocabSize is int size && size < first.Count)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"vocab_size {size} leaves no room for the {first.Count} special tokens");
        var words = UnitCounter.MostFrequent(counts, minFrequency, vocabSize - first.Count, new HashSet<string>(first, StringComparer.Ordinal));
        return [.. first, .. words];
    }
}
