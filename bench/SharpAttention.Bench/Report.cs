using System.Globalization;

namespace SharpAttention.Bench;

/// <summary>Writes figures as `&lt;name&gt; &lt;value&gt; &lt;unit&gt;` lines (last word the unit), the one format scripts parse.</summary>
internal static class Report
{
    public static void Figure(string name, double value, string unit, int decimals = 1) =>
        Console.WriteLine($"{name} {value.ToString("F" + decimals, CultureInfo.InvariantCulture)} {unit}");

    /// <summary>For a figure whose anchor is missing on this machine: the run still succeeds.</summary>
    public static void Unavailable(string name) => Console.WriteLine($"{name} unavailable");
}
