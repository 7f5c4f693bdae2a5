using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// GPT-2 style byte-level BPE (Radford et al. 2019) as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/>: text is
/// split by GPT-2's pre-tokenization pattern, each piece is spelled in <see cref="ByteLevelAlphabet"/> characters of
/// its UTF-8 bytes and merged by the ranked merges. Encoding is the package's <see cref="BpeTokenizer"/>; this class
/// reads and checks the files and sets the package up the way GPT-2 works.
/// </summary>
public static partial class ByteLevelBpe
{
    /// <summary>GPT-2's pre-tokenization pattern (encoder.py): contractions, optionally space-led runs of letters, of
    /// digits, of other symbols, and white space (a run before a word leaves its last space to the word). .NET's
    /// regex works on UTF-16 units, so letters outside the Basic Multilingual Plane fall in the "other symbols" class
    /// where Python's <c>regex</c> sees letters; training and encoding both use this one pattern, so they agree.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Gpt2Pattern)]
    internal static partial Regex Gpt2Regex();

    /// <summary>
    /// Loads a byte-level BPE from Hugging Face's vocab.json + merges.txt (GPT-2's own files, or what
    /// <c>BpeTrainer</c> writes). <paramref name="specialTokens"/> (e.g. <c>&lt;|endoftext|&gt;</c> → 50256) are
    /// matched whole in the text before pre-tokenization; each must be in vocab.json with the same id. Without them no
    /// token is special.
    /// </summary>
    /// <exception cref="TokenizerFormatException">A file is not what it claims to be: invalid or truncated JSON, an id
    /// given twice, a merge naming a token (or making one) the vocabulary lacks, a special token missing or with
    /// another id.</exception>
    public static Tokenizer Load(string vocabJsonPath, string mergesTxtPath, IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesTxtPath);
        var entries = BpeFiles.ReadVocab(vocabJsonPath);
        var vocab = new Dictionary<string, int>(entries.Count, StringComparer.Ordinal);
        foreach (var e in entries) vocab.Add(e.Token, e.Id);
        foreach (var (token, id) in specialTokens ?? new Dictionary<string, int>())
        {
            if (!vocab.TryGetValue(token, out int inVocab))
                throw new TokenizerFormatException(vocabJsonPath, null, $"lacks the special token '{token}' (declared with id {id})");
            if (inVocab != id)
                throw new TokenizerFormatException(vocabJsonPath, entries.First(e => e.Token == token).Line,
                    $"gives the special token '{token}' id {inVocab}, but it is declared with id {id}");
        }
        var merges = BpeFiles.ReadMerges(mergesTxtPath, vocab, vocabJsonPath);
        return Create(vocab, merges, specialTokens);
    }

    /// <summary>Builds the tokenizer from an in-memory vocabulary and ranked merges (trusted: not checked).</summary>
    public static Tokenizer Create(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges,
        IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(merges);
        var specials = specialTokens is { Count: > 0 } ? specialTokens : null;
        return BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(Gpt2Regex(), specials),
            Normalizer = LoneSurrogateNormalizer.Instance,
        });
    }
}
