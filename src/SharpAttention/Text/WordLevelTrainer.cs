using System.Text.RegularExpressions;

namespace SharpAttention.Text;

/// <summary>Settings of <see cref="WordLevelTrainer"/> (Hugging Face's WordLevelTrainer, plus the pre-tokenizer).</summary>
public sealed record WordLevelTrainerOptions
{
    /// <summary>Largest vocabulary, special tokens included; null keeps every word seen <see cref="MinFrequency"/> times.</summary>
    public int? VocabSize { get; init; }

    /// <summary>Fewest sightings that earn a word its own id; rarer words become the unknown token. "Words seen ≤ k
    /// times → unknown" is MinFrequency = k + 1.</summary>
    public int MinFrequency { get; init; } = 1;

    /// <summary>What a word is (<see cref="WordLevelTokenizer.DefaultPattern"/>: word runs and punctuation runs).</summary>
    public string Pattern { get; init; } = WordLevelTokenizer.DefaultPattern;

    /// <summary>Lower-case words before counting and lookup (HF's do_lower_case).</summary>
    public bool LowerCase { get; init; }

    /// <summary>The special tokens, given the first ids (pad, bos, eos, unk, cls, sep, mask order); must declare unk.</summary>
    public SpecialTokens SpecialTokens { get; init; } = SpecialTokens.Sequence;
}

/// <summary>
/// Builds a <see cref="WordLevelTokenizer"/> from a corpus: counts every word (in parallel over the cores), then
/// gives ids to the special tokens first and to the words seen at least MinFrequency times next, most frequent first,
/// ties in ordinal order — so the same corpus always gives the same ids, whatever the thread count.
/// </summary>
public static class WordLevelTrainer
{
    public static WordLevelTokenizer Train(IEnumerable<string> lines, WordLevelTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null)
    {
        options ??= new WordLevelTrainerOptions();
        var regex = new Regex(options.Pattern, RegexOptions.CultureInvariant);
        var counts = UnitCounter.Count(lines, (line, into) =>
        {
            var text = (options.LowerCase ? line.ToLowerInvariant() : line).AsSpan();
            foreach (var match in regex.EnumerateMatches(text))
                if (match.Length > 0) UnitCounter.Add(into, text.Slice(match.Index, match.Length));
        }, progress);
        var tokens = LookupTrainer.Select(counts, options.SpecialTokens, options.MinFrequency, options.VocabSize);
        return new WordLevelTokenizer(tokens, options.SpecialTokens.Unk!, options.SpecialTokens.Distinct(), options.Pattern, options.LowerCase);
    }

    /// <summary>Trains on the lines of files, or of every file under folders (<see cref="TextCorpus.Lines"/>).</summary>
    public static WordLevelTokenizer TrainFromFiles(IEnumerable<string> paths, WordLevelTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null) => Train(TextCorpus.Lines(paths), options, progress);
}
