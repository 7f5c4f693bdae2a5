using System.Runtime.InteropServices;

namespace SharpAttention.Text;

/// <summary>
/// The merge loop of <see cref="WordPieceTrainer"/>: words as arrays of piece ids, pair counts updated only for the
/// words a merge touches, and a lazy priority queue (an entry whose count no longer matches is skipped when popped).
/// </summary>
internal sealed class PieceMerger
{
    const int ReportEveryMerges = 1000;

    readonly List<string> pieces = [];                         // piece id → text
    readonly Dictionary<string, int> pieceIds = new(StringComparer.Ordinal);
    readonly List<int[]> words = [];
    readonly List<long> frequencies = [];
    readonly Dictionary<long, long> pairCounts = [];
    readonly Dictionary<long, HashSet<int>> pairWords = [];    // may hold words that lost the pair since; checked on use
    readonly PriorityQueue<long, (long Count, string Left, string Right)> queue;
    readonly List<string> vocabulary;
    readonly HashSet<string> inVocabulary = new(StringComparer.Ordinal);
    readonly WordPieceTrainerOptions options;
    readonly IProgress<TokenizerTrainingProgress>? progress;

    public PieceMerger(Dictionary<string, long> wordCounts, IReadOnlyList<string> specials, WordPieceTrainerOptions options,
        IProgress<TokenizerTrainingProgress>? progress)
    {
        (this.options, this.progress) = (options, progress);
        queue = new PriorityQueue<long, (long, string, string)>(Comparer<(long Count, string Left, string Right)>.Create((x, y) =>
        {
            int c = y.Count.CompareTo(x.Count);                      // most frequent first
            if (c == 0) c = string.CompareOrdinal(x.Left, y.Left);    // then ordinal order of the left piece
            return c != 0 ? c : string.CompareOrdinal(x.Right, y.Right);
        }));
        var alphabet = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (word, count) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var symbols = new List<int>();
            foreach (var rune in word.EnumerateRunes())
            {
                var piece = symbols.Count == 0 ? rune.ToString() : options.ContinuingSubwordPrefix + rune;
                alphabet.Add(piece);
                alphabet.Add(rune.ToString());
                symbols.Add(Intern(piece));
            }
            if (symbols.Count == 0) continue;
            words.Add([.. symbols]);
            frequencies.Add(count);
        }
        vocabulary = [.. specials];
        inVocabulary.UnionWith(specials);
        foreach (var piece in alphabet)
            if (inVocabulary.Add(piece)) vocabulary.Add(piece);
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        foreach (var (pair, count) in pairCounts) Enqueue(pair, count);
    }

    int Intern(string piece)
    {
        if (pieceIds.TryGetValue(piece, out int id)) return id;
        pieces.Add(piece);
        return pieceIds[piece] = pieces.Count - 1;
    }

    static long Key(int left, int right) => (long)left << 32 | (uint)right;

    void Enqueue(long pair, long count) => queue.Enqueue(pair, (count, pieces[(int)(pair >> 32)], pieces[(int)pair]));

    /// <summary>Adds (sign +1) or removes (−1) the pairs of word <paramref name="w"/>, noting in
    /// <paramref name="before"/> each touched pair's count before the first change.</summary>
    void AddPairs(int w, int sign, Dictionary<long, long>? before = null)
    {
        var word = words[w];
        long f = frequencies[w] * sign;
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long pair = Key(word[i], word[i + 1]);
            ref long count = ref CollectionsMarshal.GetValueRefOrAddDefault(pairCounts, pair, out _);
            before?.TryAdd(pair, count);
            count += f;
            if (sign > 0)
            {
                if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                set.Add(w);
            }
        }
    }

    public IReadOnlyList<string> Run()
    {
        int target = options.VocabSize;
        var touched = new Dictionary<long, long>();
        while (vocabulary.Count < target && queue.TryDequeue(out long pair, out var entry))
        {
            if (pairCounts.GetValueOrDefault(pair) != entry.Count) continue;   // stale entry
            if (entry.Count < options.MinFrequency) break;
            int left = (int)(pair >> 32), right = (int)pair;
            string merged = pieces[left] + (pieces[right].StartsWith(options.ContinuingSubwordPrefix, StringComparison.Ordinal)
                ? pieces[right][options.ContinuingSubwordPrefix.Length..] : pieces[right]);
            int mergedId = Intern(merged);
            if (inVocabulary.Add(merged)) vocabulary.Add(merged);
            touched.Clear();
            foreach (int w in pairWords[pair].ToArray())
            {
                if (!Contains(words[w], left, right)) continue;
                AddPairs(w, -1, touched);
                words[w] = Merge(words[w], left, right, mergedId);
                AddPairs(w, +1, touched);
            }
            pairWords.Remove(pair);
            // Only pairs whose count changed need a new queue entry; most pairs of a touched word keep theirs.
            foreach (var (p, old) in touched)
            {
                long count = pairCounts[p];
                if (count <= 0) pairCounts.Remove(p);
                else if (count != old) Enqueue(p, count);
            }
            if (progress != null && vocabulary.Count % ReportEveryMerges == 0)
                progress.Report(new TokenizerTrainingProgress("merging", vocabulary.Count, target));
        }
        progress?.Report(new TokenizerTrainingProgress("merging", vocabulary.Count, target));
        return vocabulary;
    }

    static bool Contains(int[] word, int left, int right)
    {
        for (int i = 0; i + 1 < word.Length; i++)
            if (word[i] == left && word[i + 1] == right) return true;
        return false;
    }

    /// <summary>Replaces each occurrence of (left, right), scanning left to right without overlaps.</summary>
    internal static int[] Merge(int[] word, int left, int right, int merged)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == left && word[i + 1] == right)
            {
                result.Add(merged);
                i++;
            }
            else result.Add(word[i]);
        }
        return [.. result];
    }
}
