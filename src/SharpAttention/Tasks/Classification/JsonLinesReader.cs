using System.Text.Json;
using SharpAttention.Data;

namespace SharpAttention.Tasks.Classification;

/// <summary>
/// JSON Lines: one object per line, <c>{"text": "...", "label": "..."}</c> (field names configurable). A label may be a
/// string, number or boolean and is kept as written; blank lines are skipped.
/// </summary>
public static class JsonLinesReader
{
    /// <exception cref="DataFormatException">a line is not a JSON object, lacks a field, has a text that is not a
    /// string, or an empty text or label.</exception>
    public static IReadOnlyList<LabeledText> Read(string path, TextColumns? fields = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file does not exist", path);
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        return Parse(reader, path, fields);
    }

    public static IReadOnlyList<LabeledText> Parse(TextReader reader, string source, TextColumns? fields = null)
    {
        fields ??= TextColumns.Default;
        var rows = new List<LabeledText>();
        int line = 0;
        for (string? s; (s = reader.ReadLine()) != null;)
        {
            line++;
            if (s.Trim().Length == 0) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(s);
            }
            catch (JsonException e)
            {
                throw new DataFormatException(source, line, $"not valid JSON: {e.Message}", e);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new DataFormatException(source, line, $"expected an object {{\"{fields.Text}\": ..., \"{fields.Label}\": ...}}, got a JSON {root.ValueKind.ToString().ToLowerInvariant()}");
                var text = Field(root, fields.Text, source, line);
                if (text.ValueKind != JsonValueKind.String)
                    throw new DataFormatException(source, line, $"field '{fields.Text}' must be a string, got a JSON {text.ValueKind.ToString().ToLowerInvariant()}");
                var label = Field(root, fields.Label, source, line);
                string labelText = label.ValueKind switch
                {
                    JsonValueKind.String => label.GetString()!.Trim(),
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => label.GetRawText(),
                    _ => throw new DataFormatException(source, line, $"field '{fields.Label}' must be a string, number or boolean, got a JSON {label.ValueKind.ToString().ToLowerInvariant()}"),
                };
                string t = text.GetString()!;
                if (t.Trim().Length == 0) throw new DataFormatException(source, line, $"empty text in field '{fields.Text}'");
                if (labelText.Length == 0) throw new DataFormatException(source, line, $"empty label in field '{fields.Label}'");
                rows.Add(new LabeledText(t, labelText, source, line));
            }
        }
        return rows;
    }

    static JsonElement Field(JsonElement root, string name, string source, int line) =>
        root.TryGetProperty(name, out var value) ? value
            : throw new DataFormatException(source, line,
                $"no field '{name}' (fields: {string.Join(", ", root.EnumerateObject().Select(p => $"'{p.Name}'"))})");
}
