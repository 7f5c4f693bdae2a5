using System.Text.RegularExpressions;

namespace SharpAttention.Text;

/// <summary>
/// A word-level tokenizer (Hugging Face's WordLevel model): a regular expression cuts the text into words, each word
/// is one token, and a word outside the vocabulary becomes the unknown token. Saved as vocab.json (token → id).
/// </summary>
public sealed class WordLevelTokenizer : LookupTokenizer
{
    /// <summary>Hugging Face's Whitespace pre-tokenizer: runs of word characters, or runs of other non-space characters.</summary>
    public const string DefaultPattern = @"\w+|[^\w\s]+";

    /// <summary>Splits on white space only: for text already tokenised (Brown, space-separated phonemes).</summary>
    public const string WhitespacePattern = @"\S+";

    readonly Regex regex;

    /// <param name="tokens">The vocabulary in id order.</param>
    /// <param name="unknownToken">The token of unseen words (HF's unk_token; default &lt;unk&gt;).</param>
    /// <param name="specialTokens">Further special tokens, matched verbatim before the text is cut.</param>
    /// <param name="pattern">What a word is: each match of this regular expression is one word.</param>
    /// <param name="lowerCase">Whether words are lower-cased before lookup.</param>
    public WordLevelTokenizer(IReadOnlyList<string> tokens, string unknownToken = "<unk>", IEnumerable<string>? specialTokens = null,
        string pattern = DefaultPattern, bool lowerCase = false)
        : base(tokens, unknownToken, specialTokens, lowerCase)
    {
        Pattern = pattern ?? throw new ArgumentNullException(nameof(pattern));
        regex = new Regex(pattern, RegexOptions.CultureInvariant);
    }

    /// <summary>The pre-tokenizer's regular expression.</summary>
    public string Pattern { get; }

    protected override string Separator => " ";

    protected override void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> units)
    {
        foreach (var match in regex.EnumerateMatches(text))
            if (match.Length > 0) units.Add((match.Index, match.Length));
    }
}
