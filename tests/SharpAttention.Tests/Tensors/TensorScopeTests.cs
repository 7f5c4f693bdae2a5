using SharpAttention.NN;
using SharpAttention.Optim;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Tensors;

/// <summary>Deterministic release: what a scope frees, what escapes it, and that a freed tensor fails loudly.</summary>
public class TensorScopeTests
{
    [Fact]
    public void TensorsMadeInAScopeAreReleasedWhenItEndsAndThenRefuseAccess()
    {
        Tensor t, view;
        using (var scope = TensorScope.Begin())
        {
            t = Tensor.Ones(4, 5);
            view = t.View(20).Narrow(0, 3, 4);
            Assert.Equal(1, scope.Count);
            Assert.Equal(20f, t.Sum().Item());
        }
        Assert.True(t.IsReleased);
        Assert.True(view.IsReleased);
        var e = Assert.Throws<InvalidOperationException>(() => t.Sum());
        Assert.Contains("released", e.Message);
        Assert.Contains("Keep", e.Message);
        Assert.Throws<InvalidOperationException>(() => view.ToArray());
        Assert.Throws<InvalidOperationException>(() => t.Add_(t));
        // Shape metadata stays readable.
        Assert.Equal(new[] { 4, 5 }, t.Shape.ToArray());
    }

    [Fact]
    public void KeptAndOutsideTensorsSurvive()
    {
        var outside = Tensor.Ones(3);
        Tensor kept, detached, moved, inner;
        using (var outer = TensorScope.Begin())
        {
            using (var scope = TensorScope.Begin())
            {
                kept = scope.Keep(outside + 1);          // to the enclosing scope
                moved = (outside * 3).MoveToOuterScope(); // same
                detached = (outside * 4).DetachFromScope(); // to no scope
                inner = outside * 5;
                Assert.Same(outside, scope.Keep(outside)); // not owned: unchanged
            }
            Assert.True(inner.IsReleased);
            Assert.Equal(new float[] { 2, 2, 2 }, kept.ToArray());
            Assert.Equal(new float[] { 3, 3, 3 }, moved.ToArray());
            Assert.Equal(2, outer.Count);
        }
        Assert.True(kept.IsReleased);
        Assert.True(moved.IsReleased);
        Assert.False(detached.IsReleased);
        Assert.False(outside.IsReleased);
        Assert.Equal(new float[] { 4, 4, 4 }, detached.ToArray());
    }

    [Fact]
    public void EndingAnOuterScopeEndsOpenInnerOnesAndDisposeIsIdempotent()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        var a = Tensor.Zeros(2);
        outer.Dispose();
        Assert.True(inner.IsDisposed);
        Assert.True(a.IsReleased);
        Assert.Null(TensorScope.Current);
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void AScopeMustEndOnItsOwnThread()
    {
        var scope = TensorScope.Begin();
        try
        {
            Exception? error = null;
            var thread = new Thread(() => error = Record.Exception(scope.Dispose));
            thread.Start();
            thread.Join();
            Assert.IsType<InvalidOperationException>(error);
            // Tensors made on another thread are not the scope's.
            Tensor? other = null;
            var maker = new Thread(() => other = Tensor.Ones(2));
            maker.Start();
            maker.Join();
            Assert.Equal(0, scope.Count);
        }
        finally
        {
            scope.Dispose();
        }
    }

    [Fact]
    public void ParametersGradientsAndOptimizerStateEscapeTheStepScope()
    {
        var w = Tensor.Randn([4, 3], new Generator(1)).RequiresGrad_();
        var x = Tensor.Randn([5, 3], new Generator(2));
        var opt = new AdamW([w], lr: 0.1);
        Tensor? firstGrad = null;
        float lossValue;
        using (var scope = TensorScope.Begin())
        {
            var created = Tensor.Randn([2, 2], new Generator(3)).RequiresGrad_();   // a parameter made inside
            var loss = F.Linear(x, w).Pow(2).Mean();
            loss.Backward();
            firstGrad = w.Grad;
            opt.Step();
            lossValue = loss.Item();
            Assert.False(created.IsReleased);
        }
        Assert.False(w.IsReleased);
        Assert.False(firstGrad!.IsReleased);
        // The optimizer's moments survived: a second step inside a new scope works and uses them.
        using (TensorScope.Begin())
        {
            opt.ZeroGrad();                           // hands the old gradient to this scope
            F.Linear(x, w).Pow(2).Mean().Backward();
            opt.Step();
        }
        Assert.True(firstGrad.IsReleased);
        Assert.False(w.Grad!.IsReleased);
        Assert.True(float.IsFinite(lossValue));
    }

    [Fact]
    public void ScopedAndUnscopedTrainingGiveTheSameBits()
    {
        static (float[] Losses, float[] Weights) Train(bool scoped)
        {
            var g = new Generator(7);
            var w1 = Tensor.Randn([16, 8], g).RequiresGrad_();
            var w2 = Tensor.Randn([5, 16], g).RequiresGrad_();
            var x = Tensor.Randn([12, 8], g);
            var y = Tensor.RandInt(0, 5, [12], g);
            var opt = new AdamW([w1, w2], lr: 0.05);
            var losses = new float[4];
            for (int step = 0; step < losses.Length; step++)
            {
                using var scope = scoped ? TensorScope.Begin() : null;
                opt.ZeroGrad();
                var loss = F.CrossEntropy(F.Linear(F.LayerNorm(F.Linear(x, w1), [16]).Gelu(), w2), y);
                loss.Backward();
                opt.Step();
                losses[step] = loss.Item();
            }
            return (losses, [.. w1.ToArray(), .. w2.ToArray()]);
        }
        var a = Train(scoped: false);
        var b = Train(scoped: true);
        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Weights, b.Weights);
    }

    [Fact]
    public void BackwardReturnsItsTemporariesToThePoolWithoutAnyScope()
    {
        var w = Tensor.Randn([64, 64], new Generator(1)).RequiresGrad_();
        var x = Tensor.Randn([32, 64], new Generator(2));
        for (int i = 0; i < 3; i++)
        {
            w.Grad = null;
            F.Linear(F.Linear(x, w).Gelu(), w).Sum().Backward();
        }
        // The gradients flowing between nodes went back to the pool as the pass ended, so the next pass finds
        // them there instead of allocating.
        long before = StoragePool.ReusedBytes;
        w.Grad = null;
        var y = F.Linear(F.Linear(x, w).Gelu(), w).Sum();
        y.Backward();
        Assert.True(StoragePool.ReusedBytes - before >= 32 * 64 * 4);
        Assert.False(w.Grad!.IsReleased);
        Assert.False(y.IsReleased);
    }

    [Fact]
    public void GraphPrivateBuffersAreReleasedWithTheGraph()
    {
        var x = Tensor.Randn([8, 16], new Generator(1)).RequiresGrad_();
        var y = F.LayerNorm(x, [16]);
        // The per-row mean is made by layer norm's forward for its backward alone (a private saved tensor of the node).
        var flags = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        var saved = y.GradFn!.GetType().GetField("savedMean", flags)!.GetValue(y.GradFn)!;
        var mean = (Tensor)saved.GetType().GetField("tensor", flags)!.GetValue(saved)!;
        Assert.False(mean.IsReleased);
        y.Sum().Backward();
        Assert.True(mean.IsReleased);
        // What the user holds is untouched by the graph's release.
        Assert.False(y.IsReleased);
        Assert.Equal(8 * 16, y.ToArray().Length);
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void ModuleBuffersAndLazyCachesOutliveTheScopeThatMadeThem()
    {
        SharpAttention.NN.Positional.RotaryEmbedding rope;
        float[] first;
        using (TensorScope.Begin())
        {
            rope = new SharpAttention.NN.Positional.RotaryEmbedding(8);   // its inv_freq buffer is made in the scope
            first = rope.Apply(Tensor.Ones(1, 2, 4, 8)).ToArray();      // and its cos/sin cache on first use
        }
        Assert.False(rope.InvFreq.IsReleased);
        using (TensorScope.Begin())
            Assert.Equal(first, rope.Apply(Tensor.Ones(1, 2, 4, 8)).ToArray());
    }
}
