using System.Text.Json;
using SharpAttention.Data;

namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// JSON Lines with one sentence per line: <c>{"tokens": ["The", "jury"], "tags": ["at", "nn"]}</c> (Hugging Face
/// datasets' token-classification layout; field names configurable). Blank lines are skipped.
/// </summary>
public static class TaggedJsonLinesReader
{
    /// <exception cref="DataFormatException">a line is not a JSON object, lacks a field, holds something other than an
    /// array of strings, has as many tokens as tags, or an empty sentence.</exception>
    public static IReadOnlyList<TaggedSequence> Read(string path, string tokensField = "tokens", string tagsField = "tags")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file does not exist", path);
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        return Parse(reader, path, tokensField, tagsField);
    }

    public static IReadOnlyList<TaggedSequence> Parse(TextReader reader, string source, string tokensField = "tokens", string tagsField = "tags")
    {
        var sentences = new List<TaggedSequence>();
        foreach (var (root, line) in JsonLinesObjects.Read(reader, source, $"{{\"{tokensField}\": [...], \"{tagsField}\": [...]}}"))
        {
            var words = Strings(root, tokensField, source, line);
            var tags = Strings(root, tagsField, source, line);
            if (words.Length != tags.Length)
                throw new DataFormatException(source, line, $"{words.Length} {tokensField} but {tags.Length} {tagsField}: need one tag per token");
            if (words.Length == 0) throw new DataFormatException(source, line, $"empty sentence: '{tokensField}' holds no tokens");
            sentences.Add(new TaggedSequence(words, tags, source, line));
        }
        return sentences;
    }

    static string[] Strings(JsonElement root, string name, string source, int line)
    {
        var value = JsonLinesObjects.Field(root, name, source, line);
        if (value.ValueKind != JsonValueKind.Array)
            throw new DataFormatException(source, line, $"field '{name}' must be an array of strings, got a JSON {value.ValueKind.ToString().ToLowerInvariant()}");
        var items = new string[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length == 0)
                throw new DataFormatException(source, line, $"{name}[{i}] must be a non-empty string, got {item.GetRawText()}");
            items[i++] = item.GetString()!;
        }
        return items;
    }
}
