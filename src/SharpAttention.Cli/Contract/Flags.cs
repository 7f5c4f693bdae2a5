using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// Numeric flags that parse and range-check their own value, so a bad one is a usage error (exit 2) reported in words
/// ("--beam expects a whole number, got 'x'"; "--beam must lie in 1..256, got 0") before any work starts, instead of
/// System.CommandLine's message naming a CLR type. Each task's verbs build their numbers here.
/// </summary>
public static class Flags
{
    /// <summary>An optional whole-number flag within <paramref name="bounds"/> (null when absent).</summary>
    public static Option<int?> Int(string name, string description, Func<Bounds> bounds) =>
        new(name) { Description = $"{description} [{bounds()}]", CustomParser = r => (int?)Parse(r, name, bounds()) };

    /// <summary>The same for 64-bit counts (steps).</summary>
    public static Option<long?> Long(string name, string description, Func<Bounds> bounds) =>
        new(name) { Description = $"{description} [{bounds()}]", CustomParser = r => Parse(r, name, bounds()) };

    /// <summary>An optional real-number flag within <paramref name="bounds"/> (invariant culture: 0.9, 1e-3).</summary>
    public static Option<double?> Double(string name, string description, Func<Bounds> bounds) =>
        new(name) { Description = $"{description} [{bounds()}]", CustomParser = r => ParseDouble(r, name, bounds()) };

    static double? ParseDouble(ArgumentResult result, string name, Bounds bounds)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[^1].Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            result.AddError($"{name} expects a number, got {Shown.Quote(text)}");
            return null;
        }
        if (!bounds.Contains(value))
        {
            result.AddError(Check.OutOfRange(name, text, bounds));
            return null;
        }
        return value;
    }

    static long? Parse(ArgumentResult result, string name, Bounds bounds)
    {
        if (result.Tokens.Count == 0) return null;
        string text = result.Tokens[^1].Value;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            // Digits too many for a long are a whole number far outside the range, not a typo.
            bool digits = text.TrimStart('+', '-').Length > 0 && text.TrimStart('+', '-').All(char.IsAsciiDigit);
            result.AddError(digits ? Check.OutOfRange(name, Shown.Quote(text), bounds) : $"{name} expects a whole number, got {Shown.Quote(text)}");
            return null;
        }
        if (!bounds.Contains(value))
        {
            result.AddError(Check.OutOfRange(name, value.ToString(CultureInfo.InvariantCulture), bounds));
            return null;
        }
        return value;
    }

    /// <summary>A flag that takes one of <paramref name="choices"/> (the first is the default).</summary>
    public static Option<string> Choice(string name, string description, params string[] choices)
    {
        var option = new Option<string>(name) { Description = $"{description} [{string.Join("|", choices)}]", DefaultValueFactory = _ => choices[0] };
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (!choices.Contains(value))
                r.AddError($"{name} must be one of {string.Join(", ", choices)}, got {Shown.Quote(value ?? "")} (did you mean '{Spelling.Closest(value ?? "", choices)}'?)");
        });
        return option;
    }
}
