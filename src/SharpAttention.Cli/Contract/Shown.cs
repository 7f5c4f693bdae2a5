using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// How user-supplied text appears in an error: one line, long values shortened with an ellipsis, control and binary
/// characters escaped — so a 10,000-character word or a file of random bytes cannot flood or garble the terminal.
/// </summary>
public static partial class Shown
{
    /// <summary>Longest value echoed in full; longer ones keep their start and an ellipsis.</summary>
    public const int MaxValue = 60;

    /// <summary>Longest message line (a path or a list of keys can be long; nothing needs more).</summary>
    public const int MaxLine = 600;

    /// <summary>A value in single quotes, shortened and escaped.</summary>
    public static string Quote(string value) => $"'{Escape(Shorten(value, MaxValue))}'";

    /// <summary>The first <paramref name="max"/> - 1 characters and "…" when longer (never splitting a surrogate pair).</summary>
    public static string Shorten(string value, int max)
    {
        if (value.Length <= max) return value;
        int cut = max - 1;
        if (char.IsHighSurrogate(value[cut - 1])) cut--;
        return value[..cut] + "…";
    }

    /// <summary>Control, format (bidi overrides) and replacement characters and lone surrogates as \n, \t, \uXXXX.</summary>
    public static string Escape(string value)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            if (pair)
            {
                sb?.Append(c).Append(value[i + 1]);
                i++;
                continue;
            }
            string? escaped = c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD'
                       || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format => $"\\u{(int)c:X4}",
                _ => null,
            };
            if (escaped != null) (sb ??= new StringBuilder(value, 0, i, value.Length + 16)).Append(escaped);
            else sb?.Append(c);
        }
        return sb?.ToString() ?? value;
    }

    static bool IsExistingPath(string value) =>
        value.Length < 4096 && Path.IsPathFullyQualified(value) && (File.Exists(value) || Directory.Exists(value));

    /// <summary>
    /// A message made fit for one line of stderr: its lines joined (a library's multi-line message, such as a state
    /// dict's list of keys, reads as one sentence), quoted values longer than <see cref="MaxValue"/> shortened,
    /// control characters escaped, and the whole capped at <see cref="MaxLine"/>.
    /// </summary>
    public static string Line(string message)
    {
        var parts = message.Split('\n').Select(p => p.Trim()).Where(p => p.Length > 0).ToArray();
        var joined = new StringBuilder();
        foreach (var part in parts)
        {
            if (joined.Length > 0) joined.Append(joined[^1] is ':' or ';' or '.' ? " " : "; ");
            joined.Append(part);
        }
        // A path the user can open is what they need to act on, so an existing file or folder is echoed whole.
        var shortened = LongQuoted().Replace(joined.ToString(), m => IsExistingPath(m.Groups[1].Value)
            ? m.Value
            : "'" + Shorten(m.Groups[1].Value, MaxValue) + "'");
        return Shorten(Escape(shortened), MaxLine);
    }

    [GeneratedRegex("'([^']{61,})'")]
    private static partial Regex LongQuoted();
}
