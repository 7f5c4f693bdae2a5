using System.Globalization;

namespace SharpAttention.Text;

/// <summary>
/// A character-level tokenizer: each text element (what a reader sees as one character — a letter with its combining
/// marks, an emoji with its modifiers, a surrogate pair; <see cref="StringInfo"/>) is one token, and an element outside
/// the vocabulary becomes the unknown token. Saved as vocab.json (token → id), like a word-level vocabulary.
/// </summary>
public sealed class CharLevelTokenizer : LookupTokenizer
{
    /// <param name="tokens">The vocabulary in id order.</param>
    /// <param name="unknownToken">The token of unseen characters (default &lt;unk&gt;).</param>
    /// <param name="specialTokens">Further special tokens, matched verbatim before the text is cut.</param>
    /// <param name="lowerCase">Whether characters are lower-cased before lookup.</param>
    public CharLevelTokenizer(IReadOnlyList<string> tokens, string unknownToken = "<unk>", IEnumerable<string>? specialTokens = null, bool lowerCase = false)
        : base(tokens, unknownToken, specialTokens, lowerCase)
    {
    }

    protected override string Separator => "";

    protected override void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> units)
    {
        for (int i = 0; i < text.Length;)
        {
            int n = StringInfo.GetNextTextElementLength(text[i..]);
            units.Add((i, n));
            i += n;
        }
    }

    /// <summary>The text elements of <paramref name="text"/>, for trainers.</summary>
    internal static IEnumerable<string> Elements(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            int n = StringInfo.GetNextTextElementLength(text.AsSpan(i));
            yield return text.Substring(i, n);
            i += n;
        }
    }
}
