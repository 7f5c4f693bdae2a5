using System.Globalization;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// The documented valid range of a number (a flag or a config key): one object gives the check, the error message and
/// the README's table, so the three cannot drift apart. Whole-number ranges print as "1..256", others in interval
/// notation ("[0, 1)"); an unbounded end prints as "≥ 0" / "> 0".
/// </summary>
public sealed record Bounds(double Min, double Max, bool MinOpen = false, bool MaxOpen = false, bool Whole = false)
{
    public static Bounds Integers(long min, long max) => new(min, max, Whole: true);

    /// <summary>Any finite number above zero.</summary>
    public static Bounds Positive { get; } = new(0, double.MaxValue, MinOpen: true);

    public bool Contains(double value) =>
        double.IsFinite(value) && (!Whole || Math.Floor(value) == value)
        && (MinOpen ? value > Min : value >= Min) && (MaxOpen ? value < Max : value <= Max);

    public override string ToString()
    {
        static string N(double v) => v.ToString(Math.Abs(v) >= 1e4 && Math.Floor(v) == v ? "#,0" : "0.########", CultureInfo.InvariantCulture);
        if (Max == double.MaxValue) return (MinOpen ? "> " : "≥ ") + N(Min) + (Whole ? "" : ", finite");
        if (Whole) return $"{N(Min)}..{N(Max)}";
        return $"{(MinOpen ? '(' : '[')}{N(Min)}, {N(Max)}{(MaxOpen ? ')' : ']')}";
    }
}

/// <summary>A config key (or several that must agree) holds a value outside its range; the reader of the file adds the
/// file and the line of the first of <see cref="Keys"/> it holds.</summary>
public sealed class ConfigKeyException(IReadOnlyList<string> keys, string message) : CliException(message)
{
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>Range checks for flags (a usage error, exit 2) and config keys (exit 1, with the key's line), shared by the
/// tasks so every number is checked the same way before any work starts.</summary>
public static class Check
{
    static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The one wording of a refused flag value, for <see cref="Flag"/> and the flags' own parsers.</summary>
    public static string OutOfRange(string flag, string value, Bounds bounds) => $"{flag} must lie in {bounds}, got {value}";

    /// <summary>Refuses a flag's value outside <paramref name="bounds"/> (a range that depends on another flag).</summary>
    public static void Flag(string flag, double value, Bounds bounds)
    {
        if (!bounds.Contains(value)) throw new UsageException(OutOfRange(flag, Show(value), bounds));
    }

    /// <summary>Refuses a config key's value outside <paramref name="bounds"/> (null: the key is unset, which its record allows).</summary>
    public static void Key(string key, double? value, Bounds bounds)
    {
        if (value is double v && !bounds.Contains(v)) throw new ConfigKeyException([key], $"{key} = {Show(v)} must lie in {bounds}");
    }

    /// <summary>A rule that ties keys together (num_heads divides d_model): the message names them all.</summary>
    public static void Keys(bool ok, string message, params string[] keys)
    {
        if (!ok) throw new ConfigKeyException(keys, message);
    }
}
