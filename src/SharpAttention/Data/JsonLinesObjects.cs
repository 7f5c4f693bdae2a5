using System.Text.Json;

namespace SharpAttention.Data;

/// <summary>The objects of a JSON Lines file, one per non-blank line, each with its 1-based line, for the data readers
/// (classification, tagging) that check the fields themselves.</summary>
public static class JsonLinesObjects
{
    /// <param name="reader">the open text</param>
    /// <param name="source">names the text in messages</param>
    /// <param name="expected">what an object should look like, for the message when a line holds something else</param>
    /// <exception cref="DataFormatException">a line is not valid JSON or not an object.</exception>
    public static IEnumerable<(JsonElement Root, int Line)> Read(TextReader reader, string source, string expected)
    {
        int line = 0;
        for (string? s; (s = reader.ReadLine()) != null;)
        {
            line++;
            if (s.Trim().Length == 0) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(s);
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new DataFormatException(source, line, $"not valid JSON: {e.Message}", e);
            }
            if (root.ValueKind != JsonValueKind.Object)
                throw new DataFormatException(source, line, $"expected an object {expected}, got a JSON {root.ValueKind.ToString().ToLowerInvariant()}");
            yield return (root, line);
        }
    }

    /// <summary>The field <paramref name="name"/> of <paramref name="root"/>, or an error listing the fields there are.</summary>
    public static JsonElement Field(JsonElement root, string name, string source, int line) =>
        root.TryGetProperty(name, out var value) ? value
            : throw new DataFormatException(source, line,
                $"no field '{name}' (fields: {string.Join(", ", root.EnumerateObject().Select(p => $"'{p.Name}'"))})");
}
