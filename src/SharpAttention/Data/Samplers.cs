using SharpAttention.Tensors;

namespace SharpAttention.Data;

/// <summary>Decides which examples go into each batch of an epoch (torch.utils.data's batch_sampler role).</summary>
public interface IBatchSampler
{
    /// <summary>The batches of epoch <paramref name="epoch"/> as lists of example indices; the same epoch always
    /// gives the same batches.</summary>
    IEnumerable<int[]> Batches(int epoch);
}

/// <summary>Fixed-size batches in order, or shuffled by a seeded permutation that changes every epoch.</summary>
public sealed class BatchSampler(int count, int batchSize, bool shuffle, ulong seed = 0, bool dropLast = false) : IBatchSampler
{
    readonly int count = count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), $"batch sampler: negative example count {count}");
    readonly int batchSize = batchSize > 0 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch sampler: batch size must be positive, got {batchSize}");

    public IEnumerable<int[]> Batches(int epoch)
    {
        var order = shuffle ? Shuffling.Permutation(count, Shuffling.EpochSeed(seed, epoch)) : Enumerable.Range(0, count).ToArray();
        for (int i = 0; i < count; i += batchSize)
        {
            int n = Math.Min(batchSize, count - i);
            if (n < batchSize && dropLast) yield break;
            yield return order[i..(i + n)];
        }
    }
}

/// <summary>
/// Length bucketing: shuffle, then sort by length within windows of <c>windowBatches</c> batches, cut each window
/// into batches and shuffle the batch order — batches hold similar lengths (little padding) while the data order
/// stays random (the "sort within a shuffled window" recipe of fairseq/tensor2tensor). A batch holds at most
/// <c>maxTokens</c> padded tokens when given (long sequences get smaller batches), and at most <c>batchSize</c>
/// examples.
/// </summary>
public sealed class BucketBatchSampler : IBatchSampler
{
    readonly int[] lengths;
    readonly int batchSize, windowBatches;
    readonly long? maxTokens;
    readonly ulong seed;

    public BucketBatchSampler(IReadOnlyList<int> lengths, int batchSize, ulong seed, int windowBatches = 50, long? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"bucket sampler: batch size must be positive, got {batchSize}");
        if (windowBatches <= 0) throw new ArgumentOutOfRangeException(nameof(windowBatches), $"bucket sampler: window must hold at least one batch, got {windowBatches}");
        if (maxTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), $"bucket sampler: maxTokens must be positive, got {maxTokens}");
        this.lengths = lengths.ToArray();
        (this.batchSize, this.windowBatches, this.maxTokens, this.seed) = (batchSize, windowBatches, maxTokens, seed);
    }

    public IEnumerable<int[]> Batches(int epoch)
    {
        ulong s = Shuffling.EpochSeed(seed, epoch);
        var order = Shuffling.Permutation(lengths.Length, s);
        var batches = new List<int[]>();
        int window = batchSize * windowBatches;
        for (int w = 0; w < order.Length; w += window)
        {
            var chunk = order[w..Math.Min(order.Length, w + window)];
            // Stable sort by length: ties keep their shuffled order, so the result depends only on the seed.
            var sorted = chunk.Select((index, pos) => (index, pos)).OrderBy(x => lengths[x.index]).ThenBy(x => x.pos).Select(x => x.index).ToArray();
            var current = new List<int>();
            int longest = 0;
            foreach (int i in sorted)
            {
                int longestIfAdded = Math.Max(longest, lengths[i]);
                bool full = current.Count == batchSize || (maxTokens is { } cap && current.Count > 0 && (long)longestIfAdded * (current.Count + 1) > cap);
                if (full)
                {
                    batches.Add(current.ToArray());
                    current.Clear();
                    longestIfAdded = lengths[i];
                }
                current.Add(i);
                longest = longestIfAdded;
            }
            if (current.Count > 0) batches.Add(current.ToArray());
        }
        var batchOrder = Shuffling.Permutation(batches.Count, s ^ 0x9E3779B97F4A7C15UL);
        foreach (int b in batchOrder) yield return batches[b];
    }
}

/// <summary>
/// Cuts every batch of another sampler into exactly <c>parts</c> micro-batches, dealing its examples round-robin, for
/// data-parallel replicas that should each get a share of one step's batch (so a trainer accumulating <c>parts</c>
/// micro-batches per step takes each batch as one step): a length-bucketed batch is sorted by length, so the shares
/// come out equally long and no replica waits for a longer one. A batch of fewer than <c>parts</c> examples joins the
/// next one (the previous one at the end of an epoch), so no example is lost and no step straddles two batches.
/// </summary>
public sealed class SplitBatchSampler : IBatchSampler
{
    readonly IBatchSampler inner;
    readonly int parts;

    public SplitBatchSampler(IBatchSampler inner, int parts)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (parts <= 0) throw new ArgumentOutOfRangeException(nameof(parts), $"split sampler: parts must be positive, got {parts}");
        (this.inner, this.parts) = (inner, parts);
    }

    public IEnumerable<int[]> Batches(int epoch)
    {
        var batches = new List<int[]>();
        int[] carry = [];
        foreach (var batch in inner.Batches(epoch))
        {
            int[] merged = carry.Length == 0 ? batch : [.. carry, .. batch];
            if (merged.Length < parts) carry = merged;
            else
            {
                batches.Add(merged);
                carry = [];
            }
        }
        if (carry.Length > 0)
        {
            if (batches.Count == 0) batches.Add(carry);   // the whole epoch is shorter than parts: as many shares as examples
            else batches[^1] = [.. batches[^1], .. carry];
        }
        foreach (var batch in batches)
        {
            int n = Math.Min(parts, batch.Length);
            for (int p = 0; p < n; p++)
            {
                var share = new int[(batch.Length - p + n - 1) / n];
                for (int i = 0; i < share.Length; i++) share[i] = batch[p + i * n];
                yield return share;
            }
        }
    }
}

/// <summary>Seeded permutations shared by the samplers and splits.</summary>
public static class Shuffling
{
    /// <summary>A Fisher–Yates permutation of 0..count-1 from the project's generator.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var p = Enumerable.Range(0, count).ToArray();
        var g = new Generator(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)g.NextInt64(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>A different, reproducible seed per epoch (SplitMix64 of seed and epoch).</summary>
    public static ulong EpochSeed(ulong seed, int epoch)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(epoch + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
