using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Tests.Text;

/// <summary>
/// Naive byte-level BPE written from GPT-2's description, the oracle for the trainer and the encoder: the trainer
/// recounts every pair over every word after every merge; the encoder applies the lowest-ranked merge present, all its
/// occurrences left to right, until none applies (GPT-2 encoder.py's bpe()).
/// </summary>
internal static class BpeReference
{
    /// <summary>GPT-2's pre-tokenization pattern, as printed in encoder.py.</summary>
    public static readonly Regex Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");

    /// <summary>The character standing for each byte: printable bytes as themselves, the rest from U+0100 in byte order.</summary>
    public static readonly char[] ByteChar = BuildByteChars();

    static char[] BuildByteChars()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            chars[b] = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 ? (char)b : (char)next++;
        return chars;
    }

    /// <summary>The 256 byte symbols in GPT-2's vocabulary order (code-point order).</summary>
    public static List<string> ByteSymbols() => [.. ByteChar.Order().Select(c => c.ToString())];

    /// <summary>What .NET's UTF-8 encoder makes of <paramref name="text"/>: lone surrogates become U+FFFD.</summary>
    public static string Utf8RoundTrip(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    static List<string> Spell(string word) => [.. Encoding.UTF8.GetBytes(word).Select(b => ByteChar[b].ToString())];

    public static (List<string> Vocab, List<(string, string)> Merges) Train(IEnumerable<string> texts, int vocabSize, int minFrequency, string[] specials)
    {
        var counts = new Dictionary<string, long>();
        foreach (var text in texts)
            foreach (Match m in Pattern.Matches(text))
                counts[m.Value] = counts.GetValueOrDefault(m.Value) + 1;
        var vocab = new List<string>(specials);
        foreach (var s in ByteSymbols()) if (!vocab.Contains(s)) vocab.Add(s);
        var words = counts.Select(kv => (Symbols: Spell(kv.Key), Count: kv.Value)).ToList();
        var merges = new List<(string, string)>();
        while (vocab.Count < vocabSize)
        {
            var pairs = new Dictionary<(string, string), long>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairs.Count == 0) break;
            // Most frequent; ties to the smaller (left id, right id).
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => vocab.IndexOf(p.Key.Item1)).ThenBy(p => vocab.IndexOf(p.Key.Item2)).First();
            if (best.Value < minFrequency) break;
            var (a, b) = best.Key;
            merges.Add((a, b));
            if (!vocab.Contains(a + b)) vocab.Add(a + b);
            foreach (var (symbols, _) in words) MergeAll(symbols, a, b);
        }
        return (vocab, merges);
    }

    static void MergeAll(List<string> symbols, string a, string b)
    {
        int write = 0;
        for (int read = 0; read < symbols.Count; write++)
        {
            bool pair = read + 1 < symbols.Count && symbols[read] == a && symbols[read + 1] == b;
            symbols[write] = pair ? a + b : symbols[read];
            read += pair ? 2 : 1;
        }
        symbols.RemoveRange(write, symbols.Count - write);
    }

    /// <summary>Ids of <paramref name="text"/> (no special tokens in it) under the given vocabulary and merges.</summary>
    public static List<int> Encode(string text, IReadOnlyList<string> vocab, IReadOnlyList<(string, string)> merges)
    {
        var rank = new Dictionary<(string, string), int>();
        for (int r = 0; r < merges.Count; r++) rank.TryAdd(merges[r], r);
        var idOf = vocab.Select((t, id) => (t, id)).GroupBy(e => e.t).ToDictionary(g => g.Key, g => g.First().id);
        var ids = new List<int>();
        foreach (Match m in Pattern.Matches(Utf8RoundTrip(text)))
        {
            var symbols = Spell(m.Value);
            while (true)
            {
                int bestRank = int.MaxValue;
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) bestRank = r;
                if (bestRank == int.MaxValue) break;
                var (a, b) = merges[bestRank];
                MergeAll(symbols, a, b);
            }
            ids.AddRange(symbols.Select(s => idOf[s]));
        }
        return ids;
    }
}
