using System.Text;
using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>Settings of <see cref="WordPieceTrainer"/> (Hugging Face's WordPieceTrainer names).</summary>
public sealed record WordPieceTrainerOptions
{
    /// <summary>Vocabulary size to reach, special tokens and alphabet included (BERT-base: 30,522).</summary>
    public int VocabSize { get; init; } = 30_000;

    /// <summary>A pair seen fewer times than this is never merged; training stops early when no pair qualifies.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>BERT's uncased basic tokenization: lower-case and strip accents before splitting (do_lower_case).</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>What marks a piece that continues a word (BERT: ##).</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>Special tokens, given ids 0, 1, … in pad, bos, eos, unk, cls, sep, mask order — for BERT's five,
    /// [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4. Must declare unk.</summary>
    public SpecialTokens SpecialTokens { get; init; } = SpecialTokens.Bert;
}

/// <summary>
/// Trains a WordPiece vocabulary (BERT's vocab.txt) the way Hugging Face's WordPieceTrainer does: as byte-pair
/// encoding over characters in which every character but a word's first carries the continuation prefix.
/// <list type="number">
/// <item>Normalise and pre-tokenise each line with BERT's own basic tokenization (the normalizer and pre-tokenizer of
/// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>, so training sees the words encoding will see), and count the
/// words in parallel.</item>
/// <item>Start from the alphabet: every character seen, as itself, and as ##c where it occurs inside a word.</item>
/// <item>Repeatedly merge the adjacent pair of pieces seen most often (each word weighted by its count) into one piece
/// (a + b without b's ##), until the vocabulary has VocabSize tokens or no pair is seen MinFrequency times. Ties go to
/// the pair whose left piece, then right piece, comes first in ordinal order, so training is deterministic.</item>
/// </list>
/// Pair counts are kept up to date incrementally (only the words holding the merged pair are recounted) with a
/// priority queue of candidate pairs; a naive trainer that recounts every pair after every merge gives the same
/// vocabulary (the tests' oracle).
/// </summary>
public static class WordPieceTrainer
{
    /// <summary>The vocabulary in id order: specials, the alphabet (ordinal order), then one token per merge.</summary>
    public static IReadOnlyList<string> Train(IEnumerable<string> lines, WordPieceTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null)
    {
        options ??= new WordPieceTrainerOptions();
        var specials = options.SpecialTokens.Distinct();
        if (options.SpecialTokens.Unk is null) throw new ArgumentException("WordPiece needs an unk_token", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinFrequency, 1);
        var basic = CreateTokenizer(specials, options);
        var counts = UnitCounter.Count(lines, (line, into) =>
        {
            var text = basic.Normalizer?.Normalize(line) ?? line;
            foreach (var (start, length) in basic.PreTokenizer!.PreTokenize(text))
                UnitCounter.Add(into, text.AsSpan(start, length));
        }, progress);
        return new PieceMerger(counts, specials, options, progress).Run();
    }

    /// <summary>Trains on the lines of files, or of every file under folders (<see cref="TextCorpus.Lines"/>).</summary>
    public static IReadOnlyList<string> TrainFromFiles(IEnumerable<string> paths, WordPieceTrainerOptions? options = null,
        IProgress<TokenizerTrainingProgress>? progress = null) => Train(TextCorpus.Lines(paths), options, progress);

    /// <summary>vocab.txt: one token per line, line n (from 0) = id n, UTF-8 without BOM.</summary>
    public static string VocabText(IReadOnlyList<string> vocabulary) => string.Concat(vocabulary.Select(t => t + "\n"));

    /// <summary>Microsoft.ML.Tokenizers' BERT tokenizer over <paramref name="vocabulary"/>, with the basic tokenization
    /// the trainer used.</summary>
    public static BertTokenizer CreateTokenizer(IReadOnlyList<string> vocabulary, WordPieceTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bytes = new UTF8Encoding(false).GetBytes(VocabText(vocabulary));
        using var stream = new MemoryStream(bytes);
        var special = options.SpecialTokens;
        var bert = new BertOptions
        {
            LowerCaseBeforeTokenization = options.LowerCase,
            ContinuingSubwordPrefix = options.ContinuingSubwordPrefix,
            UnknownToken = special.Unk ?? "[UNK]",
            PaddingToken = special.Pad ?? "[PAD]",
            ClassificationToken = special.Cls ?? "[CLS]",
            SeparatorToken = special.Sep ?? "[SEP]",
            MaskingToken = special.Mask ?? "[MASK]",
        };
        return Tokenizers.Remember(BertTokenizer.Create(stream, bert), new() { [Tokenizers.VocabTxt] = bytes });
    }
}
