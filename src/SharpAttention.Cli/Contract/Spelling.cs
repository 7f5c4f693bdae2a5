namespace SharpAttention.Cli.Contract;

/// <summary>"Did you mean": the known name closest to a misspelt one (Levenshtein distance, ties to the first).</summary>
public static class Spelling
{
    public static string Closest(string name, IEnumerable<string> known) =>
        known.MinBy(k => Distance(name.ToLowerInvariant(), k.ToLowerInvariant())) ?? "";

    /// <summary>Edits (insert, delete, substitute) between two strings, two rows of the table at a time.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
