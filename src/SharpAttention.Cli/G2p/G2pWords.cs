using System.Text;
using SharpAttention.Cli.Contract;
using SharpAttention.Tasks.G2p;

namespace SharpAttention.Cli.G2p;

/// <summary>Words a user typed, made ready for a model: checked against its letters (<see cref="UnknownPolicy"/>) and
/// its longest input, so a word the model cannot read fails with its name instead of decoding garbage.</summary>
public static class G2pWords
{
    public static string[] Prepare(G2pModel model, IReadOnlyList<string> words, int maxLen, UnknownPolicy policy) =>
        [.. words.Select(w => Prepare(model, w, maxLen, policy))];

    static string Prepare(G2pModel model, string word, int maxLen, UnknownPolicy policy)
    {
        var unknown = Unseen(model, word);
        if (unknown.Length > 0 && policy == UnknownPolicy.Error)
            throw new CliException($"word {Shown.Quote(word)} has characters the model never saw: {Describe(unknown)} " +
                                   "(--unknown skip drops them, --unknown unk reads them as <unk>)");
        if (unknown.Length > 0 && policy == UnknownPolicy.Skip)
        {
            var kept = new string([.. word.Where(c => !unknown.Contains(char.ToUpperInvariant(c)))]);
            if (kept.Length == 0) throw new CliException($"word {Shown.Quote(word)} has no character the model knows");
            word = kept;
        }
        if (word.Length + 1 > maxLen)
            throw new CliException($"word {Shown.Quote(word)} has {word.Length} letters; the model reads at most {maxLen - 1} (its max_len {maxLen} counts <eos>)");
        return word;
    }

    /// <summary>The characters of <paramref name="word"/> (upper-cased, as the model reads it) outside the model's letters.</summary>
    public static char[] Unseen(G2pModel model, string word) =>
        [.. word.ToUpperInvariant().Where(c => !model.Graphemes.Contains(c.ToString())).Distinct()];

    /// <summary>'É' (U+00C9), ' ' (U+0020): each character with its code, so invisible ones are named too.</summary>
    public static string Describe(char[] characters)
    {
        var sb = new StringBuilder();
        foreach (var c in characters.Take(8))
            sb.Append(sb.Length > 0 ? ", " : "").Append(Shown.Quote(c.ToString())).Append($" (U+{(int)c:X4})");
        if (characters.Length > 8) sb.Append($" and {characters.Length - 8} more");
        return sb.ToString();
    }
}
