using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Text;

/// <summary>
/// Pre-tokenizes a corpus and counts its words (pre-tokens) in parallel, never holding more of the corpus than one
/// block per thread: the texts (or files, read in blocks that end at a line end) go to the threads one block at a
/// time, each thread counts into its own table, and the tables are summed at the end. The counts do not depend on
/// the number of threads. Files are read line by line as Hugging Face's trainer reads them: each line, with its line
/// end, is pre-tokenized on its own.
/// </summary>
internal static class WordCounter
{
    /// <summary>Characters per block handed to a thread: big enough that handing out costs nothing, small enough that
    /// all threads get work on a small corpus.</summary>
    const int BlockChars = 1 << 16;

    /// <summary>A unit of work: texts pre-tokenized whole, or (for files) one block of whole lines.</summary>
    readonly record struct Block(string[] Texts, bool SplitLines);

    public static Dictionary<string, long> CountTexts(IEnumerable<string> texts, Regex pattern, int threads, Action<long>? counted) =>
        Count(BatchTexts(texts), pattern, threads, counted);

    public static Dictionary<string, long> CountFiles(IEnumerable<string> files, Regex pattern, int threads, Action<long>? counted) =>
        Count(files.SelectMany(ReadBlocks), pattern, threads, counted);

    static Dictionary<string, long> Count(IEnumerable<Block> blocks, Regex pattern, int threads, Action<long>? counted)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        long words = 0;
        var gate = new Lock();
        Parallel.ForEach(
            Partitioner.Create(blocks, EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (block, _, local) =>
            {
                long n = 0;
                var lookup = local.GetAlternateLookup<ReadOnlySpan<char>>();
                foreach (var text in block.Texts)
                {
                    if (!block.SplitLines) { n += CountWords(text, pattern, lookup); continue; }
                    for (var rest = text.AsSpan(); rest.Length > 0;)
                    {
                        int end = rest.IndexOf('\n') + 1;
                        if (end == 0) end = rest.Length;
                        n += CountWords(rest[..end], pattern, lookup);
                        rest = rest[end..];
                    }
                }
                counted?.Invoke(Interlocked.Add(ref words, n));
                return local;
            },
            local =>
            {
                lock (gate)
                    foreach (var (word, count) in local)
                        CollectionsMarshal.GetValueRefOrAddDefault(total, word, out _) += count;
            });
        return total;
    }

    static int CountWords(ReadOnlySpan<char> text, Regex pattern, Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> counts)
    {
        int n = 0;
        foreach (var match in pattern.EnumerateMatches(text))
        {
            CollectionsMarshal.GetValueRefOrAddDefault(counts, text.Slice(match.Index, match.Length), out _)++;
            n++;
        }
        return n;
    }

    static IEnumerable<Block> BatchTexts(IEnumerable<string> texts)
    {
        var batch = new List<string>();
        int chars = 0;
        foreach (var text in texts)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            batch.Add(text);
            chars += text.Length;
            if (chars < BlockChars) continue;
            yield return new Block([.. batch], SplitLines: false);
            batch.Clear();
            chars = 0;
        }
        if (batch.Count > 0) yield return new Block([.. batch], SplitLines: false);
    }

    /// <summary>The file in blocks of about <see cref="BlockChars"/> characters, each ending after a '\n' (or at the
    /// file's end), so no line is split between two blocks.</summary>
    static IEnumerable<Block> ReadBlocks(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[BlockChars];
        var carry = new StringBuilder();
        for (int read; (read = reader.Read(buffer, 0, buffer.Length)) > 0;)
        {
            int lastLineEnd = buffer.AsSpan(0, read).LastIndexOf('\n');
            if (lastLineEnd < 0) { carry.Append(buffer, 0, read); continue; }
            carry.Append(buffer, 0, lastLineEnd + 1);
            yield return new Block([carry.ToString()], SplitLines: true);
            carry.Clear().Append(buffer, lastLineEnd + 1, read - lastLineEnd - 1);
        }
        if (carry.Length > 0) yield return new Block([carry.ToString()], SplitLines: true);
    }
}
