using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// What is wrong with a command line, as one line: System.CommandLine's parse errors (reworded where they name a CLR
/// type), and a token that looks like a flag but landed in a positional argument — the parser takes an unknown
/// `--frob` for a word, so without this `attn predict --frob x` would pronounce "--FROB". Words that start with '-'
/// are passed after `--`.
/// </summary>
public static partial class UsageErrors
{
    /// <summary>The problem with <paramref name="parsed"/>, or null when it may run.</summary>
    public static string? Find(ParseResult parsed)
    {
        if (parsed.Action is ParseErrorAction)
            return string.Join("; ", parsed.Errors.Select(e => Reword(e.Message).TrimEnd('.')).Distinct());
        if (parsed.Action is { ClearsParseErrors: true }) return null;   // --help, --version: they answer whatever else is wrong
        int doubleDash = IndexOf(parsed, t => t.Type == TokenType.DoubleDash);
        foreach (var argument in parsed.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens)
            {
                int at = IndexOf(parsed, t => ReferenceEquals(t, token));
                if (LooksLikeFlag(token.Value) && (doubleDash < 0 || at < doubleDash))
                    return $"unknown option {Shown.Quote(token.Value)} (an argument that starts with '-' goes after '--')";
            }
        return null;
    }

    /// <summary>"attn predict": the verb whose --help to suggest.</summary>
    public static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r != null; r = r.Parent)
            if (r is CommandResult c && c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        return string.Join(' ', ["attn", .. names]);
    }

    static bool LooksLikeFlag(string value) => value.Length > 1 && value[0] == '-' && !double.TryParse(value, out _);

    static int IndexOf(ParseResult parsed, Func<Token, bool> match)
    {
        for (int i = 0; i < parsed.Tokens.Count; i++)
            if (match(parsed.Tokens[i])) return i;
        return -1;
    }

    /// <summary>System.CommandLine's type errors name the CLR type (System.Nullable`1[System.Int32]); say it in words.</summary>
    static string Reword(string message)
    {
        var m = TypeError().Match(message);
        if (!m.Success) return message;
        string type = m.Groups["type"].Value;
        string kind = type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false" : "another kind of value";
        return $"{m.Groups["option"].Value} expects {kind}, got {Shown.Quote(m.Groups["value"].Value)}";
    }

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<option>[^']*)' as expected type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex TypeError();
}
