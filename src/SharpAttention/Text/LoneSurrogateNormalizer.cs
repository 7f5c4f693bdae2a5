using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// Replaces each unpaired UTF-16 surrogate with U+FFFD before byte-level encoding, as .NET's UTF-8 encoder does.
/// Microsoft.ML.Tokenizers would otherwise spell a lone surrogate as its three invalid UTF-8 bytes, which decode to
/// three U+FFFD; the trainer reads text through <see cref="System.Text.Encoding.UTF8"/>, so both sides agree. One
/// char becomes one char, so offsets into the original text stay valid.
/// </summary>
internal sealed class LoneSurrogateNormalizer : Normalizer
{
    public static readonly LoneSurrogateNormalizer Instance = new();

    public override string Normalize(string original) =>
        FirstLoneSurrogate(original) < 0 ? original : Replace(original);

    public override string Normalize(ReadOnlySpan<char> original) =>
        FirstLoneSurrogate(original) < 0 ? new string(original) : Replace(original);

    static string Replace(ReadOnlySpan<char> text)
    {
        var chars = text.ToArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    static int FirstLoneSurrogate(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else return i;
        }
        return -1;
    }
}
