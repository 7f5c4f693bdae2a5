using System.Text.Json;

namespace SharpAttention.Text;

/// <summary>Reads a JSON object's top-level entries with the line each key stands on, so a bad value can be named by
/// file and line (System.Text.Json reports lines only for syntax errors).</summary>
internal static class JsonLines
{
    public static Dictionary<string, (JsonElement Value, int Line)> ReadObject(string path)
    {
        if (!File.Exists(path)) throw new TokenizerFormatException(path, null, "file does not exist");
        var bytes = File.ReadAllBytes(path);
        // A byte-order mark is legal in a UTF-8 file but not in JSON; Windows editors write one.
        if (bytes.AsSpan().StartsWith(System.Text.Encoding.UTF8.Preamble)) bytes = bytes[3..];
        var entries = new Dictionary<string, (JsonElement, int)>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new TokenizerFormatException(path, 1, "expected a JSON object { … }");
            int line = 1;
            long counted = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                line += Newlines(bytes, counted, reader.TokenStartIndex);
                counted = reader.TokenStartIndex;
                string key = reader.GetString()!;
                reader.Read();
                var value = JsonElement.ParseValue(ref reader);
                if (!entries.TryAdd(key, (value, line))) throw new TokenizerFormatException(path, line, $"key '{key}' appears twice");
            }
            if (reader.TokenType != JsonTokenType.EndObject) throw new TokenizerFormatException(path, line, "expected a key or }");
            if (reader.Read()) throw new TokenizerFormatException(path, line + Newlines(bytes, counted, reader.TokenStartIndex), "text after the closing }");
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON ({e.Message})", e);
        }
        return entries;
    }

    static int Newlines(byte[] bytes, long from, long to)
    {
        int n = 0;
        for (long i = from; i < to; i++)
            if (bytes[i] == (byte)'\n') n++;
        return n;
    }
}
