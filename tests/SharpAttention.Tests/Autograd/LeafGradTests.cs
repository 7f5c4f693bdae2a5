using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

/// <summary>Leaf gradients: a fresh gradient becomes .Grad without a copy (LeafGrads), yet .Grad never shares memory
/// with anything the caller or the graph can still see. Not in parallel with other tests: one counts pool rentals.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class LeafGradTests
{
    static float[] Seq(int n, float start = 1) => [.. Enumerable.Range(0, n).Select(i => start + i)];

    [Fact]
    public void AFreshGradientIsTakenWithoutACopy()
    {
        const int n = 1 << 16;
        var x = Tensor.Ones(n).RequiresGrad_();
        var y = x * 2.0;
        var dy = Tensor.Ones(n);
        long before = StoragePool.FreshBytes + StoragePool.ReusedBytes;
        y.Backward(dy);
        long rented = StoragePool.FreshBytes + StoragePool.ReusedBytes - before;
        Assert.Equal(4L * n, rented);   // dy·2 only: it is x.Grad
        Assert.Equal(2f, x.Grad!.ToArray()[n - 1]);
    }

    [Fact]
    public void OneGradientHandedToTwoLeavesGivesEachItsOwn()
    {
        var x = Tensor.Zeros(3).RequiresGrad_();
        var z = Tensor.Zeros(3).RequiresGrad_();
        (x + z).Backward(Tensor.FromArray(Seq(3)));   // Add hands the same tensor to both inputs
        x.Grad!.Add_(Tensor.Ones(3));
        Assert.Equal(new float[] { 2, 3, 4 }, x.Grad.ToArray());
        Assert.Equal(new float[] { 1, 2, 3 }, z.Grad!.ToArray());
    }

    [Fact]
    public void SameLeafTwiceSumsIntoAPrivateGradient()
    {
        var x = Tensor.Zeros(3).RequiresGrad_();
        var dy = Tensor.FromArray(Seq(3));
        (x + x).Backward(dy);
        Assert.Equal(new float[] { 2, 4, 6 }, x.Grad!.ToArray());
        Assert.Equal(new float[] { 1, 2, 3 }, dy.ToArray());
    }

    [Fact]
    public void TheCallersGradientIsNeverTaken()
    {
        var x = Tensor.Zeros(3).RequiresGrad_();
        var dy = Tensor.FromArray(Seq(3));
        (x + 1.0).Backward(dy);   // the gradient reaching x is dy itself
        x.Grad!.Add_(Tensor.Ones(3));
        Assert.Equal(new float[] { 1, 2, 3 }, dy.ToArray());

        var leaf = Tensor.Zeros(3).RequiresGrad_();
        leaf.Backward(dy);        // a leaf as the root
        dy.Mul_(10);
        Assert.Equal(new float[] { 1, 2, 3 }, leaf.Grad!.ToArray());
    }

    [Fact]
    public void AGradientStillPendingForANodeIsNotAddedIntoInPlace()
    {
        // Add gives the same tensor G to x and to z = 3x; z's node later reads G while x already holds it.
        var x = Tensor.Zeros(3).RequiresGrad_();
        var z = x * 3.0;
        (x + z).Backward(Tensor.FromArray(Seq(3)) * 1.0);
        Assert.Equal(new float[] { 4, 8, 12 }, x.Grad!.ToArray());
    }

    [Fact]
    public void ViewsAndSlicesOfOneGradientAreCopied()
    {
        var a = Tensor.Zeros(2).RequiresGrad_();
        var b = Tensor.Zeros(3).RequiresGrad_();
        Tensor.Cat([a, b]).Backward(Tensor.FromArray(Seq(5)) * 1.0);   // a and b get slices of one buffer
        a.Grad!.Add_(Tensor.Full([2], 100));
        Assert.Equal(new float[] { 101, 102 }, a.Grad.ToArray());
        Assert.Equal(new float[] { 3, 4, 5 }, b.Grad!.ToArray());

        var x = Tensor.Zeros(2, 3).RequiresGrad_();
        var y = x.View(6);
        y.RetainGrad();
        (y * 2.0).Backward(Tensor.FromArray(Seq(6)));   // y's gradient and x's (a view of it) share a buffer
        x.Grad!.Add_(Tensor.Ones(2, 3));
        Assert.Equal(Seq(6).Select(v => 2 * v).ToArray(), y.Grad!.ToArray());
        Assert.Equal(Seq(6).Select(v => 2 * v + 1).ToArray(), x.Grad.ToArray());
    }

    [Fact]
    public void ABroadcastGradientIsMaterialised()
    {
        var x = Tensor.Zeros(2, 3).RequiresGrad_();
        x.Sum().Backward();   // Sum's gradient is a stride-0 expand of one element
        Assert.True(x.Grad!.IsContiguous);
        x.Grad.Add_(Tensor.FromArray(Seq(6), [2, 3]));
        Assert.Equal(Seq(6, start: 2), x.Grad.ToArray());
    }

    [Fact]
    public void ATakenGradientAccumulatesLaterPassesInPlace()
    {
        var x = Tensor.FromArray(Seq(2)).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.Ones(2), retainGraph: true);
        var first = x.Grad!;
        y.Backward(Tensor.Ones(2));
        Assert.Same(first, x.Grad);
        Assert.Equal(new float[] { 4, 8 }, x.Grad!.ToArray());
    }

    [Fact]
    public void ATakenGradientOutlivesTheCallersScope()
    {
        var x = Tensor.Zeros(3).RequiresGrad_();
        using (TensorScope.Begin())
            (x * 2.0).Backward(Tensor.Ones(3));
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray());
    }
}
