using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SharpAttention.Training;

/// <summary>Appends step and evaluation records to a JSON-lines or CSV file, flushing each line so a crashed run
/// keeps everything logged before it. CSV gets the union of columns known when the first row is written. A resumed
/// run first rewinds the file to the step it resumed at: rows after it (which the run will write again) and torn lines
/// go, through an atomic rewrite, so any number of kill/resume cycles leaves exactly one row per step.</summary>
internal sealed class MetricsLog : IDisposable
{
    readonly StreamWriter writer;
    readonly bool csv;
    string[]? columns;

    /// <summary>Starts a fresh file, or with <paramref name="resumedStep"/> keeps the rows up to that step.</summary>
    public MetricsLog(string path, long? resumedStep, Action<string>? warn)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".jsonl" or ".csv"))
            throw new ArgumentException($"trainer: metrics file '{path}' must end in .jsonl or .csv");
        csv = ext == ".csv";
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        bool append = resumedStep is { } step && File.Exists(path) && Rewind(path, step, warn);
        writer = new StreamWriter(path, append, new UTF8Encoding(false));
    }

    /// <summary>Rewrites <paramref name="path"/> with its whole rows up to <paramref name="step"/>; false when none remain.</summary>
    bool Rewind(string path, long step, Action<string>? warn)
    {
        List<string> kept;
        if (csv)
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0) return false;
            columns = lines[0].Split(',');
            int at = Array.IndexOf(columns, "step");
            kept = [lines[0]];
            for (int i = 1; i < lines.Length; i++)
            {
                var cells = lines[i].Split(',');
                if (at >= 0 && cells.Length == columns.Length && long.TryParse(cells[at], NumberStyles.None, CultureInfo.InvariantCulture, out long s))
                {
                    if (s <= step) kept.Add(lines[i]);
                }
                else if (lines[i].Length > 0) warn?.Invoke($"{path}: line {i + 1} does not have the header's {columns.Length} columns and a step (a write cut short by a kill?); skipped");
            }
        }
        else kept = [.. MetricsRows.ReadJsonLines(path, warn).Where(r => MetricsRows.Step(r.Row) is { } s && s <= step).Select(r => r.Line)];
        IO.AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l + "\n")));
        return kept.Count > 0;
    }

    public void Write(IReadOnlyList<KeyValuePair<string, object>> row)
    {
        string line;
        if (!csv)
        {
            var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                foreach (var (k, v) in row) WriteValue(json, k, v);
                json.WriteEndObject();
            }
            line = Encoding.UTF8.GetString(buffer.ToArray());
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
            line = string.Join(",", columns.Select(c => values.TryGetValue(c, out var v) ? Format(v) : ""));
        }
        if (IO.KillSwitch.Armed(IO.KillSwitch.Metrics))
        {
            writer.Write(line[..(line.Length / 2)]);   // a torn row, as a kill mid-write leaves
            writer.Flush();
            IO.KillSwitch.Die(writer.BaseStream);
        }
        writer.WriteLine(line);
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

    public void Dispose() => writer.Dispose();
}
