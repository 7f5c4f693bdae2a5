using System.CommandLine;

namespace SharpAttention.Cli.Contract;

/// <summary>What to do with a character (or token) the model's vocabulary lacks: refuse the input naming it (default;
/// silently reading it as &lt;unk&gt; turned `café` into K AE F S), drop it, or read it as &lt;unk&gt;.</summary>
public enum UnknownPolicy { Error, Skip, Unk }

/// <summary>The texts a verb works on, from its arguments or stdin, shared by every task: empty input is an error,
/// never a silent exit 0 with no output.</summary>
public static class InputText
{
    /// <summary>`--unknown error|skip|unk`.</summary>
    public static Option<string> UnknownOption() =>
        Flags.Choice("--unknown", "characters the model never saw: refuse the word, skip them, or read them as <unk>", "error", "skip", "unk");

    public static UnknownPolicy Policy(string value) => value switch
    {
        "skip" => UnknownPolicy.Skip,
        "unk" => UnknownPolicy.Unk,
        _ => UnknownPolicy.Error,
    };

    /// <summary>The <paramref name="what"/>s given as arguments, else the non-blank lines of <paramref name="stdin"/>.</summary>
    public static string[] Collect(string[]? given, TextReader stdin, string what)
    {
        if (given is { Length: > 0 })
        {
            for (int i = 0; i < given.Length; i++)
                if (given[i].Trim().Length == 0) throw new UsageException($"{what} {i + 1} is empty");
            return [.. given.Select(w => w.Trim())];
        }
        var lines = new List<string>();
        for (string? line; (line = stdin.ReadLine()) != null;)
            if (line.Trim().Length > 0) lines.Add(line.Trim());
        if (lines.Count == 0) throw new UsageException($"no {what}s: give them as arguments or one per line on stdin (stdin was empty)");
        return [.. lines];
    }
}
