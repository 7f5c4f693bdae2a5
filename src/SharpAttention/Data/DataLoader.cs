using System.Collections.Concurrent;

namespace SharpAttention.Data;

/// <summary>
/// Turns examples into batches (torch.utils.data.DataLoader): a sampler picks the indices of each batch, a collate
/// function builds the batch (padding, masks, tensors), and a background thread prepares up to
/// <c>prefetch</c> batches ahead so collation overlaps the training step. Batches come out in the sampler's order
/// whatever the timing; an exception in collate reaches the consumer; leaving the loop early stops the producer.
/// </summary>
public sealed class DataLoader<TExample, TBatch>(IReadOnlyList<TExample> examples, IBatchSampler sampler,
                                                 Func<IReadOnlyList<TExample>, TBatch> collate, int prefetch = 2)
{
    readonly IReadOnlyList<TExample> examples = examples ?? throw new ArgumentNullException(nameof(examples));
    readonly IBatchSampler sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
    readonly Func<IReadOnlyList<TExample>, TBatch> collate = collate ?? throw new ArgumentNullException(nameof(collate));
    readonly int prefetch = prefetch >= 0 ? prefetch : throw new ArgumentOutOfRangeException(nameof(prefetch), $"data loader: negative prefetch {prefetch}");

    /// <summary>The batches of one epoch; with prefetch 0 they are built on the caller's thread.</summary>
    public IEnumerable<TBatch> Epoch(int epoch)
    {
        if (prefetch == 0)
        {
            foreach (var indices in sampler.Batches(epoch)) yield return Build(indices);
            yield break;
        }
        using var queue = new BlockingCollection<(TBatch Batch, Exception? Error)>(prefetch);
        using var stop = new CancellationTokenSource();
        var producer = new Thread(() => Produce(epoch, queue, stop.Token)) { IsBackground = true, Name = "SharpAttention data loader" };
        producer.Start();
        try
        {
            foreach (var (batch, error) in queue.GetConsumingEnumerable())
            {
                if (error != null) throw new InvalidOperationException($"data loader: building a batch of epoch {epoch} failed: {error.Message}", error);
                yield return batch;
            }
        }
        finally
        {
            stop.Cancel();
            producer.Join();
        }
    }

    void Produce(int epoch, BlockingCollection<(TBatch, Exception?)> queue, CancellationToken stop)
    {
        try
        {
            foreach (var indices in sampler.Batches(epoch))
            {
                TBatch batch;
                try
                {
                    batch = Build(indices);
                }
                catch (Exception e)
                {
                    queue.Add((default!, e), stop);
                    return;
                }
                queue.Add((batch, null), stop);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            // The sampler itself failed: hand the error over unless the consumer has already gone.
            try
            {
                queue.Add((default!, e), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
        finally
        {
            queue.CompleteAdding();
            Tensors.Storage.RecentlyUsed.Forget();
        }
    }

    TBatch Build(int[] indices)
    {
        var items = new TExample[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int k = indices[i];
            if ((uint)k >= (uint)examples.Count)
                throw new IndexOutOfRangeException($"data loader: the sampler asked for example {k}, but there are {examples.Count}");
            items[i] = examples[k];
        }
        return collate(items);
    }
}
