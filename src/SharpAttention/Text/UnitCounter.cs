using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace SharpAttention.Text;

/// <summary>Splits one text (a line) into the units a trainer counts, adding each with <see cref="UnitCounter.Add"/>.</summary>
internal delegate void UnitSplitter(ReadOnlySpan<char> text, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts);

/// <summary>
/// Counts the units (words, pre-tokens, characters) of a streamed corpus on every core, never holding more of it than
/// one block per thread: texts go to the threads in blocks of about <see cref="TextCorpus.BlockChars"/> characters,
/// each thread counts into its own table, and the tables are summed at the end, so no lock is taken per unit and the
/// counts do not depend on the thread count. The one counter of the BPE, WordPiece, word and character trainers.
/// </summary>
internal static class UnitCounter
{
    /// <summary>Adds one sighting of <paramref name="unit"/>, allocating a string only for a unit not seen before.</summary>
    public static void Add(Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts, ReadOnlySpan<char> unit) =>
        CollectionsMarshal.GetValueRefOrAddDefault(counts, unit, out _)++;

    /// <summary>Counts the units of each text, split on its own (a text is a document or a line).</summary>
    public static Dictionary<string, long> Count(IEnumerable<string> texts, UnitSplitter split, int threads,
        IProgress<TokenizerTrainingProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Count(Batches(texts), splitLines: false, split, threads, progress);
    }

    /// <summary>Counts the units of every line of the files (<see cref="TextCorpus.LineBlocks"/>), each line with its
    /// line end split on its own.</summary>
    public static Dictionary<string, long> CountFileLines(IEnumerable<string> files, UnitSplitter split, int threads,
        IProgress<TokenizerTrainingProgress>? progress) =>
        Count(TextCorpus.LineBlocks(files).Select(block => new[] { block }), splitLines: true, split, threads, progress);

    static Dictionary<string, long> Count(IEnumerable<string[]> blocks, bool splitLines, UnitSplitter split, int threads,
        IProgress<TokenizerTrainingProgress>? progress)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        long lines = 0;
        var gate = new Lock();
        try
        {
            CountInParallel();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // A bad input (a null text, an unreadable file) surfaces as itself, not wrapped by the parallel loop.
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        progress?.Report(new(TokenizerTrainingStage.Counting, lines, lines));
        return total;

        // No buffering: a worker takes one block at a time, so a small corpus still spreads over the cores.
        void CountInParallel() => Parallel.ForEach(
            Partitioner.Create(blocks, EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (block, _, local) =>
            {
                long n = 0;
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (var text in block)
                {
                    if (!splitLines) { split(text, lookup); n++; continue; }
                    for (var rest = text.AsSpan(); rest.Length > 0; n++)
                    {
                        int end = rest.IndexOf('\n') + 1;
                        if (end == 0) end = rest.Length;
                        split(rest[..end], lookup);
                        rest = rest[end..];
                    }
                }
                long read = Interlocked.Add(ref lines, n);
                progress?.Report(new(TokenizerTrainingStage.Counting, read, null));
                return local;
            },
            local =>
            {
                lock (gate)
                    foreach (var (unit, count) in local)
                        CollectionsMarshal.GetValueRefOrAddDefault(total, unit, out _) += count;
            });
    }

    /// <summary>The texts in batches of about <see cref="TextCorpus.BlockChars"/> characters; a null text is an error.</summary>
    static IEnumerable<string[]> Batches(IEnumerable<string> texts)
    {
        var batch = new List<string>();
        int chars = 0;
        foreach (var text in texts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            batch.Add(text);
            chars += text.Length;
            if (chars < TextCorpus.BlockChars) continue;
            yield return [.. batch];
            batch.Clear();
            chars = 0;
        }
        if (batch.Count > 0) yield return [.. batch];
    }

    /// <summary>The units to keep: those seen at least <paramref name="minFrequency"/> times, most frequent first, ties
    /// in ordinal order, at most <paramref name="maxCount"/> of them; <paramref name="exclude"/> (the special tokens)
    /// never counts.</summary>
    public static List<string> MostFrequent(Dictionary<string, long> counts, long minFrequency, int? maxCount, ISet<string> exclude) =>
        [.. counts.Where(kv => kv.Value >= minFrequency && !exclude.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(maxCount ?? int.MaxValue).Select(kv => kv.Key)];
}
