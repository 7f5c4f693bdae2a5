using System.Globalization;

namespace SharpAttention.Cli.Contract;

/// <summary>
/// Refuses work whose up-front memory estimate exceeds the memory the process may use
/// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>: physical memory or the container's limit), naming the estimate,
/// instead of letting it die of an OutOfMemoryException (or the kernel's OOM killer) minutes later.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Set by tests to stand for a smaller machine; null in normal use.</summary>
    internal static long? LimitOverride { get; set; }

    public static long Available => LimitOverride ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <param name="what">the work, as the start of a sentence ("training this recipe")</param>
    /// <param name="bytes">its estimated peak</param>
    /// <param name="breakdown">where the estimate comes from, so the user sees which setting to lower</param>
    /// <param name="advice">what to lower</param>
    public static void Require(string what, double bytes, string breakdown, string advice)
    {
        long available = Available;
        if (bytes > available)
            throw new CliException($"{what} needs about {Format(bytes)} ({breakdown}), more than the {Format(available)} of memory available; {advice}");
    }

    public static string Format(double bytes) => bytes switch
    {
        >= 1e12 => (bytes / 1e12).ToString("0.#", CultureInfo.InvariantCulture) + " TB",
        >= 1e9 => (bytes / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " GB",
        _ => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };
}
