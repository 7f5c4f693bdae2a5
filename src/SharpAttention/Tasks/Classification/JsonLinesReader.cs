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
        foreach (var (root, line) in JsonLinesObjects.Read(reader, source, $"{{\"{fields.Text}\": ..., \"{fields.Label}\": ...}}"))
        {
            var text = JsonLinesObjects.Field(root, fields.Text, source, line);
            if (text.ValueKind != JsonValueKind.String)
                throw new DataFormatException(source, line, $"field '{fields.Text}' must be a string, got a JSON {text.ValueKind.ToString().ToLowerInvariant()}");
            var label = JsonLinesObjects.Field(root, fields.Label, source, line);
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
        return rows;
    }
}
