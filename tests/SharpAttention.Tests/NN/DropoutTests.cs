using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.NN;

public class DropoutTests
{
    static Tensor Input(int n, DType dtype, ulong seed = 7) => Tensor.Uniform([n], 0.5, 2.0, new Generator(seed), dtype);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SameSeedGivesIdenticalOutput(DType dtype)
    {
        var x = Input(1000, dtype);
        var a = F.Dropout(x, 0.3, generator: new Generator(123)).ToDoubleArray();
        var b = F.Dropout(x, 0.3, generator: new Generator(123)).ToDoubleArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void DifferentSeedGivesDifferentMask()
    {
        var x = Input(1000, DType.Float32);
        var a = F.Dropout(x, 0.5, generator: new Generator(1)).ToArray();
        var b = F.Dropout(x, 0.5, generator: new Generator(2)).ToArray();
        int differing = a.Zip(b).Count(p => (p.First == 0) != (p.Second == 0));
        Assert.True(differing > 300, $"only {differing} of 1000 mask entries differ between seeds");
    }

    [Fact]
    public void ConsecutiveCallsOnOneGeneratorDrawDifferentMasks()
    {
        var g = new Generator(5);
        var x = Input(1000, DType.Float32);
        var a = F.Dropout(x, 0.5, generator: g).ToArray();
        var b = F.Dropout(x, 0.5, generator: g).ToArray();
        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void DroppedFractionIsCloseToP(double p)
    {
        const int n = 100_000;
        var y = F.Dropout(Tensor.Ones(n), p, generator: new Generator(99)).ToArray();
        double dropped = y.Count(v => v == 0) / (double)n;
        Assert.True(Math.Abs(dropped - p) < 0.01, $"dropped fraction {dropped} for p = {p}");
    }

    [Fact]
    public void KeptValuesEqualXOverKeepProbabilityExactly()
    {
        const double p = 0.3;
        var x64 = Input(4099, DType.Float64);
        var y64 = F.Dropout(x64, p, generator: new Generator(3)).ToDoubleArray();
        var xs64 = x64.ToDoubleArray();
        for (int i = 0; i < xs64.Length; i++)
            Assert.True(y64[i] == 0 || y64[i] == xs64[i] / (1 - p), $"float64 element {i}: {y64[i]} from {xs64[i]}");
        Assert.Contains(y64, v => v != 0);
        Assert.Contains(y64, v => v == 0);

        var x32 = Input(4099, DType.Float32);
        var y32 = F.Dropout(x32, p, generator: new Generator(3)).ToArray();
        var xs32 = x32.ToArray();
        for (int i = 0; i < xs32.Length; i++)
            Assert.True(y32[i] == 0 || y32[i] == xs32[i] / (float)(1 - p), $"float32 element {i}: {y32[i]} from {xs32[i]}");
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BackwardIsGradTimesMaskOverKeepProbability(DType dtype)
    {
        const double p = 0.4;
        var x = Input(1037, dtype).RequiresGrad_();
        var y = F.Dropout(x, p, generator: new Generator(11));
        var g = Tensor.Randn([1037], new Generator(12), dtype);
        y.Backward(g);
        var ys = y.ToDoubleArray();
        var gs = g.ToDoubleArray();
        var dx = x.Grad!.ToDoubleArray();
        for (int i = 0; i < ys.Length; i++)
        {
            // x is never 0, so y == 0 exactly marks a dropped element
            double expected = ys[i] == 0 ? 0 : dtype == DType.Float32 ? (float)gs[i] / (float)(1 - p) : gs[i] / (1 - p);
            Assert.True(dx[i] == expected, $"element {i}: grad {dx[i]}, expected {expected}");
        }
    }

    [Fact]
    public void BackwardWithANonContiguousGradientUsesTheForwardMask()
    {
        // y.T feeds a product with a contiguous (9, 6) w, so the gradient reaching dropout is wᵀ: a transposed view.
        var x = Input(6 * 9, DType.Float32).Reshape(6, 9).RequiresGrad_();
        var y = F.Dropout(x, 0.5, generator: new Generator(21));
        var w = Tensor.Randn([9, 6], new Generator(22));
        (y.T * w).Sum().Backward();
        var ys = y.ToArray();
        var ws = w.T.Contiguous().ToArray();
        var dx = x.Grad!.ToArray();
        for (int i = 0; i < ys.Length; i++)
            Assert.True(dx[i] == (ys[i] == 0 ? 0f : ws[i] / 0.5f), $"element {i}: grad {dx[i]}, kept {ys[i] != 0}, w {ws[i]}");
        Assert.Contains(ys, v => v == 0);
        Assert.Contains(ys, v => v != 0);
    }

    [Fact]
    public void EvalAndZeroProbabilityReturnTheInputItself()
    {
        var x = Tensor.Randn(3, 4).RequiresGrad_();
        Assert.Same(x, F.Dropout(x, 0.5, training: false));
        Assert.Same(x, F.Dropout(x, 0.0));
        Assert.Same(x, F.Dropout(x, 1.0, training: false));
    }

    [Fact]
    public void ProbabilityOneGivesZerosAndNaNStaysNaN()
    {
        var x = Tensor.FromArray(new float[] { 1, -2, float.NaN, float.PositiveInfinity }).RequiresGrad_();
        var y = F.Dropout(x, 1.0, generator: new Generator(1));
        var ys = y.ToArray();
        Assert.Equal(new float[] { 0, 0 }, ys[..2]);
        Assert.True(float.IsNaN(ys[2]) && float.IsNaN(ys[3]));   // x·0, as in PyTorch
        y.Backward(Tensor.Ones(4));
        Assert.Equal(new float[] { 0, 0, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void NaNPropagatesThroughKeptAndDroppedElements()
    {
        var x = Tensor.Full([64], double.NaN);
        Assert.All(F.Dropout(x, 0.5, generator: new Generator(4)).ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void NonContiguousInputIsMaskedInLogicalOrder()
    {
        var x = Tensor.Randn([5, 7], new Generator(8));
        var a = F.Dropout(x.T, 0.5, generator: new Generator(9));
        var b = F.Dropout(x.T.Contiguous(), 0.5, generator: new Generator(9));
        Assert.Equal(new[] { 7, 5 }, a.ShapeArray());
        Assert.Equal(b.ToArray(), a.ToArray());
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ProbabilityOutsideZeroOneThrowsNamingIt(double p)
    {
        var e = Assert.Throws<ArgumentException>(() => F.Dropout(Tensor.Ones(3), p));
        Assert.Contains(p.ToString(), e.Message);
        Assert.Contains("dropout", e.Message);
        Assert.Throws<ArgumentException>(() => F.Dropout(Tensor.Ones(3), p, training: false));
    }

    [Fact]
    public void IntegerInputThrows()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Dropout(Tensor.FromArray(new long[] { 1, 2 }), 0.5));
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void GradCheckWithFixedGenerator()
    {
        // The generator is built inside f, so every evaluation (forward and finite differences) draws the same mask.
        GradCheck.Check(x => F.Dropout(x[0], 0.4, generator: new Generator(42)), [Tensor.Randn([3, 4], new Generator(1))]);
        GradCheck.Check(x => F.Dropout(x[0], 0.5, generator: new Generator(43)), [Tensor.Randn([2, 1, 5], new Generator(2))]);
        GradCheck.Check(x => F.Dropout(x[0], 0.2, generator: new Generator(44)), [Tensor.Randn([1], new Generator(3))]);
        GradCheck.Check(x => F.Dropout(x[0].T, 0.3, generator: new Generator(45)), [Tensor.Randn([4, 6], new Generator(4))]);
        GradCheck.Check(x => F.Dropout(x[0], 0.3, generator: new Generator(46)), [Tensor.Zeros(0, 3)]);
    }
}
