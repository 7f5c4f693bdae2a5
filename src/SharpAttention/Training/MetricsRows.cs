using System.Text.Json;

namespace SharpAttention.Training;

/// <summary>Reads the rows of a metrics file as <see cref="Trainer"/> writes them. A kill can tear the line being
/// written, so a line that is not a whole JSON object (or, in CSV, lacks a step) is skipped with a warning naming the
/// file and line, never an exception.</summary>
public static class MetricsRows
{
    /// <summary>The rows of a <c>.jsonl</c> metrics file in order, each with its line's text; a missing file has none.</summary>
    public static List<(string Line, JsonElement Row)> ReadJsonLines(string path, Action<string>? warn = null)
    {
        var rows = new List<(string, JsonElement)>();
        if (!File.Exists(path)) return rows;
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            if (TryParseObject(line) is { } row) rows.Add((line, row));
            else warn?.Invoke($"{path}: line {number} is not a complete JSON object (a write cut short by a kill?); skipped");
        }
        return rows;
    }

    /// <summary>The step a row records (every row the trainer writes has one), or null.</summary>
    public static long? Step(JsonElement row) =>
        row.TryGetProperty("step", out var step) && step.ValueKind == JsonValueKind.Number && step.TryGetInt64(out long value) ? value : null;

    static JsonElement? TryParseObject(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
