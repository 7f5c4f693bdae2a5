using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// A user's JSON file of overrides read over an immutable config record, each error naming the file and the line
/// where the user wrote the key: unknown keys (with the closest valid one), values of the wrong kind, keys given
/// twice, and — through <see cref="ConfigKeyException"/> from the record's own check — values outside their range.
/// The lines come from the file itself, never from a merged document the user has not seen.
/// </summary>
public static class JsonConfig
{
    /// <summary>Applies the file's keys over <paramref name="baseRecord"/>, then runs <paramref name="validate"/> on
    /// the result.</summary>
    public static T Read<T>(string path, T baseRecord, JsonSerializerOptions options, Func<T, T> validate) where T : class
    {
        if (Directory.Exists(path)) throw new CliException($"{path} is a folder, not a JSON file");
        if (!File.Exists(path)) throw new CliException($"{path} does not exist");
        var bytes = File.ReadAllBytes(path).AsSpan();
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];   // a byte order mark (Windows editors) is not JSON
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var given = ReadKeys(path, bytes.ToArray(), lines);
        if (!options.IsReadOnly) options.MakeReadOnly(populateMissingResolver: true);
        var info = options.GetTypeInfo(typeof(T));
        var merged = JsonSerializer.SerializeToNode(baseRecord, options)!.AsObject();
        foreach (var (key, value) in given)
        {
            var property = info.Properties.FirstOrDefault(p => p.Name == key)
                ?? throw new CliException($"{path}:{lines[key]}: unknown key {Shown.Quote(key)} (did you mean '{Spelling.Closest(key, info.Properties.Select(p => p.Name))}'?)");
            try
            {
                JsonSerializer.Deserialize(value.GetRawText(), property.PropertyType, options);
            }
            catch (JsonException)
            {
                throw new CliException($"{path}:{lines[key]}: {key} expects {Kind(property)}, got {Shown.Shorten(value.GetRawText(), Shown.MaxValue)}");
            }
            merged[key] = JsonNode.Parse(value.GetRawText());
        }
        try
        {
            return validate(merged.Deserialize<T>(options)!);
        }
        catch (ConfigKeyException e)
        {
            var key = e.Keys.FirstOrDefault(lines.ContainsKey);
            throw new CliException(key is null ? $"{path}: {e.Message}" : $"{path}:{lines[key]}: {e.Message}", e);
        }
    }

    /// <summary>The top-level keys and their values, each key's line noted; syntax errors and duplicates named by line.</summary>
    static List<(string Key, JsonElement Value)> ReadKeys(string path, byte[] bytes, Dictionary<string, int> lines)
    {
        var readerOptions = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var reader = new Utf8JsonReader(bytes, readerOptions);
        var keys = new List<(string, JsonElement)>();
        if (bytes.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            throw new CliException($"{path} is empty; expected a JSON object such as {{\"epochs\": 3}}");
        try
        {
            if (!reader.Read()) throw new CliException($"{path} is empty; expected a JSON object such as {{\"epochs\": 3}}");
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new CliException($"{path}:{LineOf(bytes, reader.TokenStartIndex)}: expected a JSON object such as {{\"epochs\": 3}}");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string key = reader.GetString()!;
                int line = LineOf(bytes, reader.TokenStartIndex);
                if (lines.TryGetValue(key, out int first))
                    throw new CliException($"{path}:{line}: key {Shown.Quote(key)} is given twice (first on line {first})");
                lines[key] = line;
                reader.Read();
                keys.Add((key, JsonElement.ParseValue(ref reader)));
            }
            if (reader.Read()) throw new CliException($"{path}:{LineOf(bytes, reader.TokenStartIndex)}: text after the JSON object");
        }
        catch (JsonException e)
        {
            throw new CliException($"{path}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({FirstSentence(e.Message)})", e);
        }
        return keys;
    }

    static int LineOf(byte[] bytes, long offset) => 1 + bytes.AsSpan(0, (int)offset).Count((byte)'\n');

    /// <summary>System.Text.Json's reason without its "Path: $ | LineNumber: …" tail (the line is given in front).</summary>
    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    /// <summary>The kind of value a property takes, in words.</summary>
    static string Kind(JsonPropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        string kind = type == typeof(int) || type == typeof(long) || type == typeof(ulong) ? "a whole number"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(string) ? "a string"
            : "a " + type.Name;
        return type != property.PropertyType ? kind + " or null" : kind;
    }
}
