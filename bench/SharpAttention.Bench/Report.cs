using System.Globalization;

namespace SharpAttention.Bench;

/// <summary>Writes figures as `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines (last word the unit), the one format scripts parse.</summary>
internal static class Report
{
    public static void Figure(string name, double value, string unit, int decimals = 1) =>
        Console.WriteLine($"{name} {value.ToString("F" + decimals, CultureInfo.InvariantCulture)} {unit}");

    /// <summary>For a figure whose anchor is missing on this machine: the run still succeeds.</summary>
    public static void Unavailable(string name) => Console.WriteLine($"{name} unavailable");

    /// <summary>Reads another program's output in this format (an anchor script, a child run of this program): figures by
    /// name; `#` lines go to <paramref name="comment"/>; anything else throws, naming <paramref name="source"/>.</summary>
    public static Dictionary<string, double> Parse(string output, string source, Action<string> comment)
    {
        var figures = new Dictionary<string, double>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                comment(line);
                continue;
            }
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 3 || !double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new InvalidOperationException($"{source}: expected `<name> <value> <unit>`, got `{line}`");
            figures[words[0]] = value;
        }
        return figures;
    }
}
