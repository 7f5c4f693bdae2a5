using System.Text;
using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// A token ↔ id table with four special tokens at fixed ids — <c>&lt;pad&gt;</c> 0, <c>&lt;bos&gt;</c> 1,
/// <c>&lt;eos&gt;</c> 2, <c>&lt;unk&gt;</c> 3 — followed by the data's tokens in a fixed order. Serves character-level
/// vocabularies (each token one letter) and symbol-level ones (each token a word such as a phoneme). Saved as a UTF-8
/// text file with one token per line, line number = id, so a model folder stays readable and diffable.
/// </summary>
public sealed class Vocabulary
{
    public const int PadId = 0, BosId = 1, EosId = 2, UnkId = 3;
    public const string Pad = "<pad>", Bos = "<bos>", Eos = "<eos>", Unk = "<unk>";
    static readonly string[] Specials = [Pad, Bos, Eos, Unk];

    readonly string[] tokens;
    readonly Dictionary<string, int> ids;

    Vocabulary(string[] tokens, string source)
    {
        this.tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i].Length == 0 || tokens[i].Any(char.IsWhiteSpace) && tokens[i] != " ")
                throw new FormatException($"{source}: line {i + 1}: token '{tokens[i]}' is empty or contains white space");
            if (!ids.TryAdd(tokens[i], i)) throw new FormatException($"{source}: line {i + 1}: token '{tokens[i]}' appears twice");
        }
        for (int i = 0; i < Specials.Length; i++)
            if (i >= tokens.Length || tokens[i] != Specials[i])
                throw new FormatException($"{source}: line {i + 1} must be the special token {Specials[i]}");
    }

    /// <summary>All ids, specials included.</summary>
    public int Count => tokens.Length;

    public string this[int id] => id >= 0 && id < tokens.Length
        ? tokens[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"vocabulary: id {id} is outside 0..{tokens.Length - 1}");

    /// <summary>The tokens in id order, specials first.</summary>
    public IReadOnlyList<string> Tokens => tokens;

    /// <summary>Builds a vocabulary from the tokens of <paramref name="sequences"/>: specials, then every token seen
    /// at least <paramref name="minCount"/> times in ordinal order (so the same data always gives the same ids).</summary>
    public static Vocabulary Build(IEnumerable<IEnumerable<string>> sequences, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sequence in sequences)
            foreach (var token in sequence)
                counts[token] = counts.GetValueOrDefault(token) + 1;
        var kept = counts.Where(kv => kv.Value >= minCount && Array.IndexOf(Specials, kv.Key) < 0).Select(kv => kv.Key)
            .Order(StringComparer.Ordinal);
        return new Vocabulary([.. Specials, .. kept], "vocabulary");
    }

    /// <summary>Builds a character-level vocabulary: each character of each string is a token.</summary>
    public static Vocabulary BuildCharacters(IEnumerable<string> texts, int minCount = 1) =>
        Build(texts.Select(Characters), minCount);

    /// <summary>The characters of <paramref name="text"/> as one-character tokens.</summary>
    public static IEnumerable<string> Characters(string text) => text.Select(c => c.ToString());

    public bool Contains(string token) => ids.ContainsKey(token);

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnkId"/> for a token not in the vocabulary.</summary>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : UnkId;

    /// <summary>Ids of <paramref name="sequence"/>, optionally wrapped in &lt;bos&gt; … &lt;eos&gt;.</summary>
    public int[] Encode(IEnumerable<string> sequence, bool addBos = false, bool addEos = false)
    {
        var result = new List<int>();
        if (addBos) result.Add(BosId);
        foreach (var token in sequence) result.Add(IdOf(token));
        if (addEos) result.Add(EosId);
        return [.. result];
    }

    /// <summary>Tokens of <paramref name="ids"/> up to the first &lt;eos&gt;, without &lt;pad&gt; and &lt;bos&gt;.</summary>
    public string[] Decode(IEnumerable<int> ids)
    {
        var result = new List<string>();
        foreach (int id in ids)
        {
            if (id == EosId) break;
            if (id == PadId || id == BosId) continue;
            result.Add(this[id]);
        }
        return [.. result];
    }

    /// <summary>Writes one token per line (UTF-8), through a temporary file so a crash leaves no half-written file.</summary>
    public void Save(string path)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, string.Join('\n', tokens) + "\n", new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Saves the vocabulary as a tokenizer folder (<see cref="Tokenizers.Save(Tokenizer, string, TokenizerConfig)"/>), ids unchanged: a
    /// <see cref="CharLevelTokenizer"/> for letters, or a <see cref="WordLevelTokenizer"/> over white-space separated
    /// symbols (phonemes); the four specials keep their roles (<see cref="SpecialTokens.Sequence"/>).</summary>
    public void SaveTokenizer(string dir, TokenizerKind kind)
    {
        var specials = Specials[..3];
        Tokenizer tokenizer = kind switch
        {
            TokenizerKind.Char => new CharLevelTokenizer(tokens, Unk, specials),
            TokenizerKind.Word => new WordLevelTokenizer(tokens, Unk, specials, WordLevelTokenizer.WhitespacePattern),
            _ => throw new ArgumentException($"a vocabulary saves as a char or word tokenizer, not {kind}", nameof(kind)),
        };
        Tokenizers.Save(tokenizer, dir, new TokenizerConfig { Kind = kind, SpecialTokens = SpecialTokens.Sequence });
    }

    /// <summary>Reads a word- or char-level tokenizer folder as a vocabulary; its first four tokens must be the specials.</summary>
    public static Vocabulary LoadTokenizer(string dir)
    {
        if (Tokenizers.Load(dir) is not LookupTokenizer lookup)
            throw new TokenizerFormatException(Path.Combine(dir, Tokenizers.ConfigFile), null, "holds no word or char tokenizer, which a vocabulary needs");
        return new Vocabulary([.. lookup.Tokens], Path.Combine(dir, Tokenizers.VocabJson));
    }

    /// <summary>Reads a file written by <see cref="Save"/>; a malformed file names itself and the line.</summary>
    public static Vocabulary Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"vocabulary file {path} does not exist", path);
        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return new Vocabulary(lines[..count], path);
    }
}
