using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>In-place writes (torch's copy_, add_) and the gradient slot: bad sources are clear errors naming both
/// shapes, never a crash or a silently mistyped gradient.</summary>
public class InPlaceTests
{
    [Theory]
    [InlineData(new[] { 4 }, new[] { 2, 3 })]      // trailing sizes differ
    [InlineData(new[] { 2, 3 }, new[] { 3 })]      // source has more dims than the destination
    [InlineData(new[] { 2, 1 }, new[] { 3, 4 })]   // a non-1 leading size differs
    [InlineData(new[] { 3, 4 }, new[] { 3, 1 })]   // the destination would have to grow
    public void CopyFromANonBroadcastableSourceNamesBothShapes(int[] source, int[] destination)
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(destination).CopyFrom_(Tensor.Ones(source)));
        Assert.Contains("copy_", e.Message);
        Assert.Contains($"source of shape {Shape(source)}", e.Message);
        Assert.Contains($"destination's shape {Shape(destination)}", e.Message);
    }

    static string Shape(int[] s) => "(" + string.Join(",", s) + (s.Length == 1 ? ",)" : ")");

    [Fact]
    public void CopyFromBroadcastsAndConverts()
    {
        var x = Tensor.Zeros(2, 3);
        x.CopyFrom_(Tensor.FromArray(new double[] { 1, 2, 3 }));
        Assert.Equal(new float[] { 1, 2, 3, 1, 2, 3 }, x.ToArray());
        x.CopyFrom_(Tensor.Scalar(7));
        Assert.All(x.ToArray(), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void NullSourcesAreArgumentErrors()
    {
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(2).CopyFrom_(null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(2).Add_(null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(2) + (Tensor)null!);
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(2).Mul((Tensor)null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(2).MatMul(null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(4).Split((int[])null!));
    }

    [Fact]
    public void AnAssignedGradientMustMatchShapeAndDType()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var e = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Ones(3));
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(2,)", e.Message);
        // A float64 gradient on a float32 tensor would otherwise turn the accumulated .Grad into float64.
        Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Ones([2], DType.Float64));
        x.Grad = Tensor.Ones(2);
        (x * 2.0).Sum().Backward();
        Assert.Equal(new float[] { 3, 3 }, x.Grad!.ToArray());
        Assert.Equal(DType.Float32, x.Grad.DType);
        x.Grad = null;
        Assert.Null(x.Grad);
    }
}
