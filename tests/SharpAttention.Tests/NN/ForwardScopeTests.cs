using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.NN;

/// <summary>
/// A model's forward under no-grad, called without a TensorScope (PyTorch's idiom), frees its intermediates when it
/// returns (ForwardScope) and keeps what escapes: its results, captured attention weights, KV caches. Oracles: the same
/// forward inside an explicit scope and with gradients on (no implicit scope), values copied out before later forwards
/// reuse the pool, softmax rows summing to one, and the pool's own counters. In the serial collection: the counters are
/// process-wide.
/// </summary>
[Collection(GlobalKernelStateCollection.Name)]
public class ForwardScopeTests
{
    static EncoderConfig Encoder => EncoderConfig.Tiny(50) with { DModel = 32, DimFeedforward = 64, MaxLen = 64, Pooling = Pooling.Attention, PadId = 1 };

    static EncoderClassifier Classifier()
    {
        var model = new EncoderClassifier(Encoder, numClasses: 3, new Generator(1));
        model.Eval();
        return model;
    }

    static Tensor Batch(ulong seed)
    {
        var ids = Ids(4, 24, 4, 50, seed).ToInt64Array();
        for (int t = 18; t < 24; t++) ids[3 * 24 + t] = 1;   // the last row is padded
        return Tensor.FromArray(ids, 4, 24);
    }

    static float[] NoGrad(Func<Tensor> forward)
    {
        using var _ = GradMode.NoGrad();
        return forward().ToArray();
    }

    [Fact]
    public void UnscopedNoGradLogitsAreBitIdenticalToScopedAndGradModeOnes()
    {
        var model = Classifier();
        var ids = Batch(2);
        float[] withGrad = model.Forward(ids).Detach().ToArray();
        float[] scoped;
        using (Tensor.Scope()) scoped = NoGrad(() => model.Forward(ids));
        var first = NoGrad(() => model.Forward(ids));
        var again = NoGrad(() => model.Forward(ids));   // from buffers the first call handed back

        Assert.Equal(scoped, first);
        Assert.Equal(scoped, again);
        Assert.Equal(withGrad, first);
    }

    [Fact]
    public void ResultsSurviveLaterForwardsThatReuseThePool()
    {
        var model = Classifier();
        Tensor logits, weights;
        using (GradMode.NoGrad())
        {
            (logits, weights) = model.ForwardWithWeights(Batch(3));
            var (logitsCopy, weightsCopy) = (logits.ToArray(), weights.ToArray());
            var batches = Enumerable.Range(5, 4).Select(i => Batch((ulong)i)).ToArray();
            model.Forward(Batch(4));   // warm-up: the buffers of this shape are in the pool from here on

            long fresh = StoragePool.FreshBytes, reused = StoragePool.ReusedBytes;
            foreach (var batch in batches) model.Forward(batch);

            // Only the (4, 3) results, which nobody released, may need new buffers (of at most 76 floats each).
            Assert.True(StoragePool.FreshBytes - fresh <= 4 * 76 * sizeof(float), $"{StoragePool.FreshBytes - fresh} fresh bytes");
            Assert.True(StoragePool.ReusedBytes - reused > 4 * 100_000);
            Assert.False(logits.IsReleased);
            Assert.False(weights.IsReleased);
            Assert.Equal(logitsCopy, logits.ToArray());
            Assert.Equal(weightsCopy, weights.ToArray());
        }
        // The pooling weights are a softmax over the real tokens: rows sum to one, padding gets none.
        var w = weights.ToArray();
        for (int b = 0; b < 4; b++) Assert.Equal(1.0, w.Skip(b * 24).Take(24).Sum(x => (double)x), 5);
        Assert.All(w.Skip(3 * 24 + 18).Take(6), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void AnUnscopedForwardHandsItsIntermediatesBack()
    {
        var model = Classifier();
        var ids = Batch(6);
        var kept = new List<Tensor>();
        using var _ = GradMode.NoGrad();
        kept.Add(model.Forward(ids));   // warm-up
        StoragePool.ResetPeakStats();
        long before = StoragePool.AllocatedBytes;
        for (int i = 0; i < 3; i++) kept.Add(model.Forward(ids));
        long held = StoragePool.AllocatedBytes - before, peak = StoragePool.MaxAllocatedBytes - before;

        // Each call keeps only its (4, 3) logits, in a pooled buffer of at most 76 floats; the forward itself needed
        // hundreds of kilobytes at once.
        Assert.True(held <= 3 * 76 * sizeof(float), $"{held} bytes still held after three forwards");
        Assert.True(peak > 100_000, $"the forward's peak was only {peak} bytes: the test no longer measures anything");
    }

    [Fact]
    public void CachedDecodingStepsKeepTheirCacheAndLogits()
    {
        var model = new CausalLanguageModel(CausalLMConfig.Tiny(20) with { DModel = 32, DimFeedforward = 48, MaxLen = 32 }, new Generator(7));
        model.Eval();
        var tokens = Ids(2, 6, 0, 20, 8);
        var state = model.BeginDecoding(2, capacity: 2);                  // the cache grows inside the steps
        var first = model.Step(state, tokens.Narrow(1, 0, 4));            // no scope and no no-grad block: Step is no-grad
        var firstCopy = first.ToArray();
        var keysCopy = state.SelfAttention[0].Keys.ToArray();        // (B, H, 4, D)
        var second = model.Step(state, tokens.Narrow(1, 4, 1));
        var third = model.Step(state, tokens.Narrow(1, 5, 1));

        Assert.Equal(firstCopy, first.ToArray());
        Assert.Equal(keysCopy, state.SelfAttention[0].Keys.Narrow(2, 0, 4).Contiguous().ToArray());
        // The cached steps against the whole sequence run at once (no cache): logits at positions 3, 4 and 5.
        using var _ = GradMode.NoGrad();
        var full = model.Forward(tokens);                                 // (B, 6, V)
        Close(full.Select(1, 3), first);
        Close(full.Select(1, 4), second);
        Close(full.Select(1, 5), third);
    }

    [Fact]
    public void CapturedCrossAttentionWeightsSurviveLaterForwards()
    {
        var model = new Seq2SeqTransformer(Seq2SeqConfig.Tiny(12, 14) with { DModel = 32, DimFeedforward = 64, Dropout = 0, MaxLen = 16 }, new Generator(9));
        model.Eval();
        var (src, tgt) = (Ids(2, 7, 3, 12, 10), Ids(2, 5, 3, 14, 11));
        var weights = model.CrossAttentionWeights(src, tgt);            // per layer (B, H, T, S)
        var copies = weights.Select(w => w.ToArray()).ToArray();
        using (GradMode.NoGrad())
            for (int i = 0; i < 3; i++) model.Forward(Ids(2, 7, 3, 12, 12 + (ulong)i), tgt);

        for (int l = 0; l < weights.Length; l++)
        {
            Assert.Equal(copies[l], weights[l].ToArray());
            var rows = weights[l].Sum(-1).ToArray();                // each query's weights over the source sum to one
            Assert.All(rows, r => Assert.Equal(1.0, r, 5));
        }
    }
}
