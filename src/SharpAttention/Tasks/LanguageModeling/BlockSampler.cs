using SharpAttention.Data;
using SharpAttention.Tensors;

namespace SharpAttention.Tasks.LanguageModeling;

/// <summary>
/// Training batches of a token stream of N tokens: K = ⌊(N − 1) / C⌋ contiguous blocks of C = <c>context</c> input
/// tokens, block k reading [o + kC, o + kC + C) and predicting the tokens one further on. The offset o is drawn per
/// epoch from [0, N − 1 − KC], so block edges move from epoch to epoch while every target token is predicted at most
/// once per epoch and all but fewer than C of them exactly once. The blocks are shuffled and grouped
/// <c>batchSize</c> at a time (the last batch may be smaller). Same seed and epoch ⇒ same batches.
/// </summary>
public sealed class BlockSampler
{
    public BlockSampler(long tokenCount, int context, int batchSize, ulong seed)
    {
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), context, "block sampler: context must be at least 1 token");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "block sampler: batch size must be at least 1");
        if (tokenCount <= context)
            throw new ArgumentException($"block sampler: {tokenCount} tokens make no block of {context} tokens and their next ones; " +
                                        "use more text or a shorter context", nameof(tokenCount));
        (TokenCount, Context, BatchSize, Seed) = (tokenCount, context, batchSize, seed);
        long blocks = (tokenCount - 1) / context;
        if (blocks > int.MaxValue) throw new ArgumentException($"block sampler: {blocks} blocks per epoch is more than {int.MaxValue}; use a longer context", nameof(tokenCount));
        BlocksPerEpoch = (int)blocks;
    }

    public long TokenCount { get; }
    public int Context { get; }
    public int BatchSize { get; }
    public ulong Seed { get; }

    /// <summary>K = ⌊(N − 1) / C⌋.</summary>
    public int BlocksPerEpoch { get; }

    /// <summary>⌈K / batch size⌉.</summary>
    public int BatchesPerEpoch => (BlocksPerEpoch + BatchSize - 1) / BatchSize;

    /// <summary>The epoch's offset o of the first block, in [0, N − 1 − KC].</summary>
    public long Offset(int epoch)
    {
        long slack = TokenCount - 1 - (long)BlocksPerEpoch * Context;
        return new Generator(Shuffling.EpochSeed(Seed, epoch)).NextInt64(slack + 1);
    }

    /// <summary>The epoch's batches: each the start positions of its blocks.</summary>
    public IEnumerable<long[]> Batches(int epoch)
    {
        long offset = Offset(epoch);
        var order = Shuffling.Permutation(BlocksPerEpoch, Shuffling.EpochSeed(Seed ^ 0x5A5A5A5A5A5A5A5AUL, epoch));
        for (int at = 0; at < order.Length; at += BatchSize)
            yield return [.. order.AsSpan(at, Math.Min(BatchSize, order.Length - at)).ToArray().Select(k => offset + (long)k * Context)];
    }

    /// <summary>The inputs and targets of a batch: Int64 (B, C) each, targets one token further on.</summary>
    public (Tensor Inputs, Tensor Targets) Gather(TokenFile tokens, long[] starts)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int c = Context;
        var inputs = new long[starts.Length * c];
        var targets = new long[starts.Length * c];
        for (int b = 0; b < starts.Length; b++)
        {
            var block = tokens.Slice(starts[b], c + 1);
            for (int t = 0; t < c; t++)
            {
                inputs[b * c + t] = block[t];
                targets[b * c + t] = block[t + 1];
            }
        }
        return (Tensor.FromArray(inputs, starts.Length, c), Tensor.FromArray(targets, starts.Length, c));
    }
}
