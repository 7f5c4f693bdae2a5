using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SharpAttention.Text;

/// <summary>
/// Counts the units (words, characters) of a streamed corpus on every core: the stream is cut into blocks of lines,
/// each worker counts its blocks into a private dictionary, and the dictionaries are summed at the end, so no lock
/// is taken per unit. Counts do not depend on the thread count.
/// </summary>
internal static class UnitCounter
{
    const int BlockLines = 2048;
    const int ReportEveryLines = 100_000;

    /// <summary>Adds one sighting of <paramref name="unit"/>, allocating a string only for a unit not seen before.</summary>
    public static void Add(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts, ReadOnlySpan<char> unit) =>
        CollectionsMarshal.GetValueRefOrAddDefault(counts, unit, out _)++;

    public static Dictionary<string, long> Count(IEnumerable<string> lines, Action<string, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>>> countLine,
        IProgress<TokenizerTrainingProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var partials = new ConcurrentBag<Dictionary<string, long>>();
        long read = 0, reported = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = SharpAttention.Threads.Count };
        // No buffering: a worker takes one block at a time, so a small corpus still spreads over the cores.
        Parallel.ForEach(Partitioner.Create(Blocks(lines), EnumerablePartitionerOptions.NoBuffering), options,
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (block, _, counts) =>
            {
                var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (var line in block) countLine(line, lookup);
                long total = Interlocked.Add(ref read, block.Length);
                long last = Interlocked.Read(ref reported);
                if (progress != null && total - last >= ReportEveryLines && Interlocked.CompareExchange(ref reported, total, last) == last)
                    progress.Report(new TokenizerTrainingProgress("counting", total, null));
                return counts;
            },
            partials.Add);
        var sum = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var partial in partials)
            foreach (var (unit, n) in partial)
                sum[unit] = sum.GetValueOrDefault(unit) + n;
        progress?.Report(new TokenizerTrainingProgress("counting", read, read));
        return sum;
    }

    static IEnumerable<string[]> Blocks(IEnumerable<string> lines)
    {
        var block = new List<string>(BlockLines);
        foreach (var line in lines)
        {
            block.Add(line);
            if (block.Count == BlockLines)
            {
                yield return [.. block];
                block.Clear();
            }
        }
        if (block.Count > 0) yield return [.. block];
    }

    /// <summary>The units to keep: those seen at least <paramref name="minFrequency"/> times, most frequent first, ties
    /// in ordinal order, at most <paramref name="maxCount"/> of them; <paramref name="exclude"/> (the special tokens)
    /// never counts.</summary>
    public static List<string> MostFrequent(Dictionary<string, long> counts, long minFrequency, int? maxCount, ISet<string> exclude) =>
        [.. counts.Where(kv => kv.Value >= minFrequency && !exclude.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(maxCount ?? int.MaxValue).Select(kv => kv.Key)];
}
