namespace SharpAttention.Text;

/// <summary>Settings of <see cref="BpeTrainer"/>, named as Hugging Face <c>tokenizers</c>' BpeTrainer names them.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Size of the finished vocabulary, special tokens and the 256 byte symbols included (they are always all
    /// there, so a size below 256 + specials learns no merges). Training stops earlier when no pair is frequent enough.</summary>
    public int VocabSize { get; init; } = 30_000;

    /// <summary>A pair is merged only if it occurs at least this often, counted over all words with their frequencies
    /// (Hugging Face's ByteLevelBPETokenizer.train default).</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Tokens that get the first ids, in this order, and are matched whole in text instead of being split.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>"];

    /// <summary>Threads that pre-tokenize and count the corpus; null uses every core. The result does not depend on it.</summary>
    public int? Threads { get; init; }

    /// <summary>Hears how far training got: words counted while reading, then merges done; null reports nothing.</summary>
    public IProgress<BpeTrainerProgress>? Progress { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(VocabSize, nameof(VocabSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinFrequency, 1, nameof(MinFrequency));
        if (Threads is int t) ArgumentOutOfRangeException.ThrowIfLessThan(t, 1, nameof(Threads));
        ArgumentNullException.ThrowIfNull(SpecialTokens, nameof(SpecialTokens));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in SpecialTokens)
        {
            if (string.IsNullOrEmpty(s)) throw new ArgumentException("a special token is null or empty", nameof(SpecialTokens));
            if (!seen.Add(s)) throw new ArgumentException($"special token '{s}' is listed twice", nameof(SpecialTokens));
        }
    }
}

/// <summary>Stage of a <see cref="BpeTrainer"/> run.</summary>
public enum BpeTrainerStage
{
    /// <summary>Reading the corpus: <see cref="BpeTrainerProgress.Done"/> counts pre-tokenized words so far.</summary>
    CountingWords,
    /// <summary>Learning merges: <see cref="BpeTrainerProgress.Done"/> of at most <see cref="BpeTrainerProgress.Total"/>.</summary>
    Merging,
}

/// <summary>A progress report of <see cref="BpeTrainer"/>; <paramref name="Total"/> is null while the corpus is read
/// (its size is unknown until the end).</summary>
public readonly record struct BpeTrainerProgress(BpeTrainerStage Stage, long Done, long? Total);
