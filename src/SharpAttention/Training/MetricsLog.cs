using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SharpAttention.Training;

/// <summary>Appends step and evaluation records to a JSON-lines or CSV file, flushing each line so a crashed run
/// keeps everything logged before it. CSV gets the union of columns known when the first row is written.</summary>
internal sealed class MetricsLog : IDisposable
{
    readonly StreamWriter writer;
    readonly bool csv;
    string[]? columns;

    public MetricsLog(string path, bool append)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".jsonl" or ".csv"))
            throw new ArgumentException($"trainer: metrics file '{path}' must end in .jsonl or .csv");
        csv = ext == ".csv";
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        bool existed = append && File.Exists(path) && new FileInfo(path).Length > 0;
        writer = new StreamWriter(path, append, new UTF8Encoding(false));
        if (csv && existed) columns = ReadHeader(path);
    }

    public void Write(IReadOnlyList<KeyValuePair<string, object>> row)
    {
        if (!csv)
        {
            var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                foreach (var (k, v) in row) WriteValue(json, k, v);
                json.WriteEndObject();
            }
            writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            if (columns == null)
            {
                columns = ["kind", "step", "epoch", "loss", "lr", "grad_norm", "tokens", "tokens_per_s", "elapsed_s",
                           .. row.Select(kv => kv.Key).Where(k => !Known(k))];
                writer.WriteLine(string.Join(",", columns));
            }
            var values = row.ToDictionary(kv => kv.Key, kv => kv.Value);
            writer.WriteLine(string.Join(",", columns.Select(c => values.TryGetValue(c, out var v) ? Format(v) : "")));
        }
        writer.Flush();
    }

    static bool Known(string k) => k is "kind" or "step" or "epoch" or "loss" or "lr" or "grad_norm" or "tokens" or "tokens_per_s" or "elapsed_s";

    static void WriteValue(Utf8JsonWriter json, string k, object v)
    {
        switch (v)
        {
            case double d when double.IsFinite(d): json.WriteNumber(k, d); break;
            case double d: json.WriteString(k, d.ToString(CultureInfo.InvariantCulture)); break;
            case long l: json.WriteNumber(k, l); break;
            case int i: json.WriteNumber(k, i); break;
            case bool b: json.WriteBoolean(k, b); break;
            default: json.WriteString(k, Convert.ToString(v, CultureInfo.InvariantCulture)); break;
        }
    }

    static string Format(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    static string[] ReadHeader(string path)
    {
        using var reader = new StreamReader(path);
        return (reader.ReadLine() ?? "").Split(',');
    }

    public void Dispose() => writer.Dispose();
}
