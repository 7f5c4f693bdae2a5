using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>Shapes whose element count does not fit a tensor fail with the op and the shape in the message instead
/// of wrapping around (torch's "Storage size calculation overflowed" / "numel: integer multiplication overflow").</summary>
public class ElementCountTests
{
    static string Throws(Action action) => Assert.Throws<ArgumentException>(action).Message;

    [Fact]
    public void CreationBeyondTheIndexRangeNamesOpShapeAndExactCount()
    {
        var m = Throws(() => Tensor.Zeros(65536, 65536, 2));
        Assert.Contains("zeros", m);
        Assert.Contains("(65536,65536,2)", m);
        Assert.Contains("8589934592", m);
        // The product overflows long too: the exact count is still reported.
        m = Throws(() => Tensor.Ones(int.MaxValue, int.MaxValue, int.MaxValue, 4));
        Assert.Contains("ones", m);
        Assert.Contains("39614081201791936601413124092", m);
        Assert.Contains("full", Throws(() => Tensor.Full([1 << 20, 1 << 20], 1.0)));
        Assert.Contains("normal", Throws(() => Tensor.Randn(1 << 20, 1 << 20)));
    }

    [Fact]
    public void ExpandBeyondTheIndexRangeThrowsInsteadOfWrappingToEmpty()
    {
        var m = Throws(() => Tensor.Zeros(1, 1).Expand(65536, 65536));
        Assert.Contains("expand", m);
        Assert.Contains("(65536,65536)", m);
        Assert.Contains("expand", Throws(() => Tensor.Zeros(1).Expand(65536, 32768, 1)));
    }

    [Fact]
    public void ViewAndReshapeSizesThatOnlyMatchAfterOverflowAreRejected()
    {
        // 65536^4 = 2^64 wraps to 0 in long arithmetic and would "match" an empty tensor.
        var m = Throws(() => Tensor.Zeros(0).View(65536, 65536, 65536, 65536));
        Assert.Contains("view", m);
        Assert.Contains("(65536,65536,65536,65536)", m);
        Assert.Contains("reshape", Throws(() => Tensor.Zeros(0).Reshape(65536, 65536, 65536, 65536)));
        m = Throws(() => Tensor.Zeros(0, 3).View(-1, 0));
        Assert.Contains("ambiguous", m);
    }

    [Fact]
    public void EmptyShapesMayHaveHugeSizesElsewhere()
    {
        var x = Tensor.Zeros(0, int.MaxValue, int.MaxValue);
        Assert.Equal(0, x.NumEl);
        Assert.Equal(new[] { 0, int.MaxValue, int.MaxValue }, x.ShapeArray());
        Assert.Equal(new[] { 0, int.MaxValue }, x.Sum(2).ShapeArray());
        Assert.Equal(new[] { 3, 0, 1 }, Tensor.Zeros(0, 3).T.Reshape(3, 0, 1).ShapeArray());
        // ...but merging them into one dim needs a size beyond int.
        Assert.Contains("flatten", Throws(() => Tensor.Zeros(0, 65536, 65536).Flatten(1)));
        Assert.Contains("cat", Throws(() => Tensor.Cat([Tensor.Zeros(0, 1 << 30), Tensor.Zeros(0, 1 << 30)], 1)));
    }

    [Fact]
    public void ArangeRejectsNonFiniteAndOversizedRanges()
    {
        Assert.Contains("unsupported range", Throws(() => Tensor.Arange(0, double.NaN)));
        Assert.Contains("unsupported range", Throws(() => Tensor.Arange(0, double.PositiveInfinity)));
        Assert.Contains("elements", Throws(() => Tensor.Arange(0, 1e12)));
        Assert.Contains("inconsistent with step sign", Throws(() => Tensor.Arange(1, 0.5)));
        Assert.Equal(0, Tensor.Arange(1, 1).NumEl);
    }

    [Fact]
    public void NullArraysAreArgumentErrors()
    {
        Assert.Throws<ArgumentNullException>(() => Tensor.FromArray((float[])null!, 2));
        Assert.Throws<ArgumentNullException>(() => Tensor.FromArray((float[,])null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Zeros(null!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Cat([Tensor.Ones(1), null!]));
        Assert.Throws<ArgumentNullException>(() => Tensor.Stack([Tensor.Ones(1), null!]));
    }
}
