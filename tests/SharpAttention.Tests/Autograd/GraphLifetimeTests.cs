using System.Runtime.CompilerServices;
using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Autograd;

/// <summary>Graph edges, re-running nodes, broadcast-gradient accuracy, dtype promotion and in-place safety.</summary>
public class GraphLifetimeTests
{
    [Fact]
    public void GraphDoesNotKeepUnsavedIntermediatesAlive()
    {
        var x = Tensor.Ones(1000).RequiresGrad_();
        var (loss, weak) = BuildLoss(x);
        for (int i = 0; i < 3 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive);
        loss.Backward();
        Assert.Equal(2f, x.Grad!.ToArray()[0]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static (Tensor Loss, WeakReference Weak) BuildLoss(Tensor x)
    {
        var h = x * 2.0;   // Sum saves nothing of h, so only the loss's graph could keep it alive
        return (h.Sum(), new WeakReference(h));
    }

    [Fact]
    public void NodesThatSavedNothingRunInASecondBackward()
    {
        var x = Tensor.Zeros(3).RequiresGrad_();
        var y = x.Add(1.0);
        y.Sum().Backward();
        y.Neg().Sum().Backward();
        Assert.Equal(new float[] { 0, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void BroadcastGradientOfAMillionElementsIsAccurate()
    {
        var b = Tensor.Zeros(1).RequiresGrad_();
        Tensor.Ones(1 << 20).Add(b).Backward(Tensor.Full([1 << 20], 0.1));
        Assert.Equal((double)0.1f * (1 << 20), b.Grad!.ItemDouble(), 0.05);   // float32 result: within a few ulps (a plain float loop is off by ~1000)
    }

    [Fact]
    public void ZeroDimOperandsDoNotWidenTheDType()
    {
        var x = Tensor.Ones(3);
        Assert.Equal(DType.Float32, (x + Tensor.Scalar(0.5, DType.Float64)).DType);
        Assert.Equal(DType.Float64, (Tensor.Ones([3], DType.Float64) + Tensor.Scalar(0.5)).DType);
        Assert.Equal(DType.Float64, (x + Tensor.Ones([3], DType.Float64)).DType);
        Assert.Equal(new[] { true, false }, Tensor.FromArray(new long[] { 0, 1 }).Lt(Tensor.Scalar(0.5, DType.Float64)).ToBoolArray());
    }

    [Fact]
    public void CopyBetweenOverlappingViewsReadsTheSourceBeforeWriting()
    {
        var c = Tensor.Arange(0, 8).View(1, 4, 2);
        c.Narrow(1, 1, 3).CopyFrom_(c.Narrow(1, 0, 3));
        Assert.Equal(new float[] { 0, 1, 0, 1, 2, 3, 4, 5 }, c.ToArray());
    }

    [Fact]
    public void WritingThroughAnExpandedViewThrows()
    {
        var z = Tensor.Zeros(1);
        var e = Assert.Throws<InvalidOperationException>(() => z.Expand(3).Add_(Tensor.FromArray(new float[] { 1, 2, 3 })));
        Assert.Contains("single memory location", e.Message);
        Assert.Throws<InvalidOperationException>(() => z.Expand(3).Fill_(1));
        Assert.Equal(0f, z.Item());
    }

    [Fact]
    public void InPlaceOpWithASourceThatNeedsGradThrows()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var buffer = Tensor.Zeros(3);
        var e = Assert.Throws<InvalidOperationException>(() => buffer.Add_(x));
        Assert.Contains("requires grad", e.Message);
        using (GradMode.NoGrad()) buffer.Add_(x);
        Assert.Equal(new float[] { 1, 1, 1 }, buffer.ToArray());
    }
}
