using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SharpAttention.Text;

/// <summary>
/// Reads and writes the two files of a GPT-2 style BPE, as Hugging Face <c>tokenizers</c> saves them: vocab.json, one
/// compact JSON object token → id in id order (non-ASCII kept as UTF-8), and merges.txt, a <c>#version: 0.2</c> line
/// then one merge per line, the two tokens separated by one space, in rank order. Reading checks everything a loader
/// would otherwise trip over later and names the file and line of the first problem.
/// </summary>
internal static class BpeFiles
{
    public const string VocabFileName = "vocab.json", MergesFileName = "merges.txt", MergesHeader = "#version: 0.2";

    /// <summary>One vocab.json entry and the 1-based line it sits on.</summary>
    public readonly record struct VocabEntry(string Token, int Id, int Line);

    public static List<VocabEntry> ReadVocab(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var lines = new LineCounter(bytes);
        var entries = new List<VocabEntry>();
        var tokenAt = new Dictionary<int, VocabEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var reader = new Utf8JsonReader(bytes.AsSpan(start), new JsonReaderOptions { AllowTrailingCommas = false });
        if (bytes.AsSpan(start).IndexOfAnyExcept(" \t\r\n"u8) < 0)
            throw new TokenizerFormatException(path, null, "is empty; expected a JSON object mapping each token to its id");
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new TokenizerFormatException(path, lines.At(start + reader.TokenStartIndex),
                    "must be a JSON object mapping each token to its id");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int line = lines.At(start + reader.TokenStartIndex);
                var token = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id) || id < 0)
                    throw new TokenizerFormatException(path, line, $"token {Quote(token)} has no valid id; ids are non-negative whole numbers");
                if (!seen.Add(token))
                    throw new TokenizerFormatException(path, line, $"token {Quote(token)} appears twice");
                if (tokenAt.TryGetValue(id, out var other))
                    throw new TokenizerFormatException(path, line,
                        $"id {id} is given to both {Quote(other.Token)} (line {other.Line}) and {Quote(token)}");
                var entry = new VocabEntry(token, id, line);
                tokenAt.Add(id, entry);
                entries.Add(entry);
            }
            // Reading on to the end makes the reader reject an unclosed object and anything after it.
            while (reader.Read()) { }
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, (int?)e.LineNumber + 1, $"is not valid JSON: {e.Message}", e);
        }
        return entries;
    }

    /// <summary>Reads merges.txt, checking each merge against <paramref name="vocab"/>: both parts and their
    /// concatenation must be tokens.</summary>
    public static List<(string Left, string Right)> ReadMerges(string path, IReadOnlyDictionary<string, int> vocab, string vocabPath)
    {
        var merges = new List<(string, string)>();
        int number = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            // Hugging Face skips its "#version" header wherever it appears; blank lines carry nothing.
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal)) continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new TokenizerFormatException(path, number, $"expected two tokens separated by one space, found {Quote(line)}");
            var left = line[..space];
            var right = line[(space + 1)..];
            foreach (var part in (ReadOnlySpan<string>)[left, right])
                if (!vocab.ContainsKey(part))
                    throw new TokenizerFormatException(path, number, $"merge {Quote(line)} names {Quote(part)}, which {Path.GetFileName(vocabPath)} lacks");
            if (!vocab.ContainsKey(left + right))
                throw new TokenizerFormatException(path, number, $"merge {Quote(line)} makes {Quote(left + right)}, which {Path.GetFileName(vocabPath)} lacks");
            merges.Add((left, right));
        }
        return merges;
    }

    /// <summary>Writes vocab.json and merges.txt into <paramref name="directory"/>; <paramref name="tokens"/> is the
    /// vocabulary in id order (id = index).</summary>
    public static void Write(string directory, IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges)
    {
        Directory.CreateDirectory(directory);
        var json = new StringBuilder(tokens.Count * 12).Append('{');
        for (int id = 0; id < tokens.Count; id++)
        {
            if (id > 0) json.Append(',');
            AppendJsonString(json, tokens[id]).Append(':').Append(id.ToString(CultureInfo.InvariantCulture));
        }
        File.WriteAllText(Path.Combine(directory, VocabFileName), json.Append('}').ToString(), Utf8NoBom);

        var text = new StringBuilder(merges.Count * 10).Append(MergesHeader).Append('\n');
        foreach (var (left, right) in merges) text.Append(left).Append(' ').Append(right).Append('\n');
        File.WriteAllText(Path.Combine(directory, MergesFileName), text.ToString(), Utf8NoBom);
    }

    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>JSON string escaping as serde_json (which Hugging Face uses) writes it: quote, backslash and control
    /// characters escaped, everything else verbatim.</summary>
    static StringBuilder AppendJsonString(StringBuilder json, string s)
    {
        json.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case < ' ': json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }

    static string Quote(string s) => s.Length <= 40 ? $"'{s}'" : $"'{s[..40]}…'";

    /// <summary>Turns byte offsets into 1-based line numbers, scanning forward only (offsets come in order).</summary>
    sealed class LineCounter(byte[] bytes)
    {
        long scanned;
        int line = 1;

        public int At(long offset)
        {
            for (; scanned < offset && scanned < bytes.Length; scanned++)
                if (bytes[scanned] == (byte)'\n') line++;
            return line;
        }
    }
}
