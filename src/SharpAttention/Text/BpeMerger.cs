namespace SharpAttention.Text;

/// <summary>
/// Learns BPE merges from a word → count table (Sennrich et al. 2016), incrementally, as Hugging Face's trainer does:
/// 1. count every adjacent symbol pair once, weighted by word frequency, and note which words hold each pair;
/// 2. take the most frequent pair from a priority queue; entries are not updated when a count drops, instead a popped
///    entry whose count is stale goes back with the current count (lazy invalidation);
/// 3. rewrite only the words holding that pair, adjusting the counts of the pairs around each occurrence, and queue
///    the pairs whose counts grew.
/// Tie-break (deterministic, as Hugging Face's): among pairs of equal count the one with the smaller left id wins,
/// then the smaller right id. Ids are the tokens' vocabulary ids, so earlier tokens win ties.
/// </summary>
internal sealed class BpeMerger
{
    readonly List<string> tokens;
    readonly Dictionary<string, int> ids;
    readonly int[][] words;      // each word's symbol ids; the live part is words[w][..lengths[w]]
    readonly int[] lengths;
    readonly long[] counts;
    readonly Dictionary<long, long> pairCounts = [];
    readonly Dictionary<long, List<int>> pairWords = [];  // words that held the pair when it appeared (may be stale)
    readonly PriorityQueue<long, (long Count, long Pair)> queue = new(MostFrequentFirst.Instance);
    readonly HashSet<long> grown = [];

    /// <param name="tokens">The initial vocabulary in id order (specials, then the byte symbols); merged tokens are
    /// appended to it.</param>
    /// <param name="words">Each distinct word as symbol ids, with its count.</param>
    public BpeMerger(List<string> tokens, IReadOnlyList<(int[] Symbols, long Count)> words)
    {
        this.tokens = tokens;
        ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) ids.TryAdd(tokens[i], i);
        this.words = new int[words.Count][];
        lengths = new int[words.Count];
        counts = new long[words.Count];
        for (int w = 0; w < words.Count; w++)
        {
            var s = this.words[w] = words[w].Symbols;
            lengths[w] = s.Length;
            counts[w] = words[w].Count;
            for (int i = 0; i + 1 < s.Length; i++)
            {
                long pair = Pair(s[i], s[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + counts[w];
                NoteWord(pair, w);
            }
        }
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (count, pair));
    }

    /// <summary>Merges until the vocabulary holds <paramref name="vocabSize"/> tokens or no pair occurs
    /// <paramref name="minFrequency"/> times; returns the merges in rank order.</summary>
    public List<(string Left, string Right)> Run(int vocabSize, int minFrequency, Action<int>? progress)
    {
        var merges = new List<(string, string)>();
        var stamp = new int[words.Length];
        while (tokens.Count < vocabSize && queue.TryDequeue(out long pair, out var entry))
        {
            long current = pairCounts.GetValueOrDefault(pair);
            if (entry.Count != current)
            {
                if (current > 0) queue.Enqueue(pair, (current, pair));
                continue;
            }
            if (current < minFrequency) break;

            int left = (int)(pair >> 32), right = (int)pair;
            var text = tokens[left] + tokens[right];
            // Two different merges can spell the same string ("a"+"bc", "ab"+"c"): the token keeps its first id.
            if (!ids.TryGetValue(text, out int id))
            {
                id = tokens.Count;
                ids.Add(text, id);
                tokens.Add(text);
            }
            merges.Add((tokens[left], tokens[right]));
            foreach (int w in pairWords[pair])
            {
                if (stamp[w] == merges.Count) continue;
                stamp[w] = merges.Count;
                MergeInWord(w, left, right, id);
            }
            pairWords.Remove(pair);
            foreach (long p in grown)
                if (pairCounts.TryGetValue(p, out long c)) queue.Enqueue(p, (c, p));
            grown.Clear();
            progress?.Invoke(merges.Count);
        }
        return merges;
    }

    /// <summary>Replaces each left-to-right occurrence of (a, b) in word w by m; each replaced occurrence loses its
    /// pairs with the neighbours and the neighbours pair with m instead.</summary>
    void MergeInWord(int w, int a, int b, int m)
    {
        var s = words[w];
        int n = lengths[w];
        long c = counts[w];
        int read = 0, write = 0;
        while (read < n)
        {
            if (read + 1 < n && s[read] == a && s[read + 1] == b)
            {
                if (write > 0)
                {
                    // The left neighbour is already rewritten, so it may be m from an occurrence just before.
                    Add(Pair(s[write - 1], a), -c);
                    Add(Pair(s[write - 1], m), c);
                    NoteWord(Pair(s[write - 1], m), w);
                }
                if (read + 2 < n)
                {
                    Add(Pair(b, s[read + 2]), -c);
                    Add(Pair(m, s[read + 2]), c);
                    NoteWord(Pair(m, s[read + 2]), w);
                }
                Add(Pair(a, b), -c);
                s[write++] = m;
                read += 2;
            }
            else s[write++] = s[read++];
        }
        lengths[w] = write;
    }

    void Add(long pair, long delta)
    {
        long updated = pairCounts.GetValueOrDefault(pair) + delta;
        if (updated > 0) pairCounts[pair] = updated;
        else pairCounts.Remove(pair);
        if (delta > 0) grown.Add(pair);
    }

    void NoteWord(long pair, int w)
    {
        if (!pairWords.TryGetValue(pair, out var list)) pairWords.Add(pair, list = []);
        if (list.Count == 0 || list[^1] != w) list.Add(w);
    }

    static long Pair(int left, int right) => (long)left << 32 | (uint)right;

    /// <summary>Higher count first; on equal counts the smaller (left id, right id), i.e. the smaller packed pair.</summary>
    sealed class MostFrequentFirst : IComparer<(long Count, long Pair)>
    {
        public static readonly MostFrequentFirst Instance = new();

        public int Compare((long Count, long Pair) x, (long Count, long Pair) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair);
    }
}
