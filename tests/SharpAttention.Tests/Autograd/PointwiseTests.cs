using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

/// <summary>Elementwise math and activations: finite-difference gradients, values from PyTorch 1.13 (float64),
/// PyTorch's gradient conventions at kinks and special points, and error messages.</summary>
public class PointwiseTests
{
    // Several shapes: ordinary, with a size-1 dim, a single element, 0-d, and an empty dim.
    static readonly int[][] Shapes = [[3, 4], [2, 1, 5], [1], [], [0, 3]];

    public static TheoryData<string> SmoothOps => new() { "exp", "tanh", "sigmoid", "gelu", "gelu_tanh", "silu", "neg" };

    [Theory]
    [MemberData(nameof(SmoothOps))]
    public void SmoothOpsGradCheck(string op)
    {
        var g = new Generator(21);
        foreach (var shape in Shapes)
            GradCheck.Check(v => Apply(op, v[0]), [Tensor.Randn(shape, g).Mul(1.5)]);
    }

    public static TheoryData<string> PositiveDomainOps => new() { "log", "sqrt", "rsqrt", "pow2.5", "pow-1.5" };

    [Theory]
    [MemberData(nameof(PositiveDomainOps))]
    public void PositiveDomainOpsGradCheck(string op)
    {
        var g = new Generator(22);
        foreach (var shape in Shapes)
            GradCheck.Check(v => Apply(op, v[0]), [Tensor.Uniform(shape, 0.5, 2.5, g)]);
    }

    public static TheoryData<string> KinkedOps => new() { "relu", "abs", "clamp", "clamp_min", "clamp_max", "pow3", "pow2" };

    /// <summary>Inputs kept at least 0.1 away from every kink (0 and the clamp bounds ±0.5), where the derivative
    /// is not defined and a central difference would straddle it.</summary>
    [Theory]
    [MemberData(nameof(KinkedOps))]
    public void KinkedOpsGradCheckAwayFromKinks(string op)
    {
        var g = new Generator(23);
        foreach (var shape in Shapes)
        {
            var x = Tensor.Uniform(shape, -2, 2, g);
            var nearKink = x.Abs().Lt(0.1).LogicalOr(x.Abs().Sub(0.5).Abs().Lt(0.1));
            x = Tensor.Where(nearKink, x.Add(0.25), x);
            GradCheck.Check(v => Apply(op, v[0]), [x]);
        }
    }

    [Fact]
    public void PowWithTensorExponentGradCheckIncludingBroadcasting()
    {
        var g = new Generator(24);
        GradCheck.Check(v => v[0].Pow(v[1]), [Tensor.Uniform([3, 4], 0.5, 2, g), Tensor.Randn([3, 4], g)]);
        GradCheck.Check(v => v[0].Pow(v[1]), [Tensor.Uniform([3, 1, 4], 0.5, 2, g), Tensor.Randn([2, 1], g)]);
        GradCheck.Check(v => v[0].Pow(v[1]), [Tensor.Uniform([1], 0.5, 2, g), Tensor.Randn([5], g)]);
        GradCheck.Check(v => v[0].Pow(v[1]), [Tensor.Uniform([0, 2], 0.5, 2, g), Tensor.Randn([1, 2], g)]);
        // Only one side differentiable: the other gets no gradient and is not required to.
        var b = Tensor.Randn([4], g).Double();
        GradCheck.Check(v => v[0].Pow(b), [Tensor.Uniform([2, 4], 0.5, 2, g)]);
    }

    [Fact]
    public void ActivationValuesMatchPyTorch()
    {
        double[] x = [-3, -1, -0.5, 0, 0.5, 1, 3];
        // torch 1.13, float64: forward values and d/dx.
        AssertOp(x, t => t.Gelu(),
            [-0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0, 0.34573123063700656, 0.841344746068543, 2.99595030590511],
            [-0.01194564720418392, -0.08331547058768635, 0.13250487534383712, 0.5, 0.8674951246561629, 1.0833154705876864, 1.011945647204184]);
        AssertOp(x, t => t.Gelu("tanh"),
            [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0.0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227],
            [-0.011584166630969648, -0.08296408384578252, 0.13263009646535764, 0.5, 0.8673699035346424, 1.0829640838457826, 1.0115841666309695]);
        AssertOp(x, t => t.Silu(),
            [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0.0, 0.3112296656009273, 0.7310585786300049, 2.8577223804672998],
            [-0.08810410601516962, 0.07232948812851325, 0.2600388126973482, 0.5, 0.7399611873026519, 0.9276705118714869, 1.0881041060151693]);
        AssertOp(x, t => t.Sigmoid(),
            [0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5, 0.6224593312018546, 0.7310585786300049, 0.9525741268224334],
            [0.04517665973091214, 0.19661193324148185, 0.2350037122015945, 0.25, 0.2350037122015945, 0.19661193324148185, 0.045176659730912]);
        AssertOp(x, t => t.Tanh(),
            [-0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0.0, 0.46211715726000974, 0.7615941559557649, 0.9950547536867305],
            [0.009866037165440166, 0.41997434161402614, 0.7864477329659274, 1.0, 0.7864477329659274, 0.41997434161402614, 0.009866037165440166]);
    }

    [Fact]
    public void SimpleValues()
    {
        var x = Tensor.FromArray(new double[] { 0.25, 1, 4 });
        Near([1.2840254166877414, 2.718281828459045, 54.598150033144236], x.Exp());
        Near([-1.3862943611198906, 0, 1.3862943611198906], x.Log());
        Near([0.5, 1, 2], x.Sqrt());
        Near([2, 1, 0.5], x.Rsqrt());
        Near([0.0625, 1, 16], x.Pow(2));
        Near([0.5, 1, 2], x.Pow(Tensor.FromArray(new[] { 0.5 })));
        var s = Tensor.FromArray(new float[] { -2, -0.5f, 0, 0.5f, 2 });
        Assert.Equal(new float[] { 0, 0, 0, 0.5f, 2 }, s.Relu().ToArray());
        Assert.Equal(new float[] { 2, 0.5f, 0, 0.5f, 2 }, s.Abs().ToArray());
        Assert.Equal(new float[] { -1, -0.5f, 0, 0.5f, 1 }, s.Clamp(-1, 1).ToArray());
        Assert.Equal(new float[] { 0, 0, 0, 0.5f, 2 }, s.Clamp(min: 0).ToArray());
        Assert.Equal(new float[] { -2, -0.5f, 0, 0, 0 }, s.Clamp(max: 0).ToArray());
        Assert.Equal(new float[] { 1, 1, 1, 1, 1 }, s.Clamp(3, 1).ToArray()); // min > max: all max, as in torch
        Assert.Equal(DType.Float32, s.Gelu().DType);
        Assert.Equal(DType.Float64, x.Silu().DType);
    }

    /// <summary>PyTorch's choices where the derivative is undefined or the formula would give NaN.</summary>
    [Fact]
    public void GradientConventionsAtKinksMatchPyTorch()
    {
        // relu: 0 at x ≤ 0; passed through for NaN (torch's threshold_backward tests result ≤ 0).
        Assert.Equal(new float[] { 0, 0, 1, 1 }, Grad(new[] { -1f, 0, 2, float.NaN }, t => t.Relu()));
        // abs: sign(x), 0 at 0 and at NaN.
        Assert.Equal(new float[] { -1, 0, 1, 0 }, Grad(new[] { -1f, 0, 2, float.NaN }, t => t.Abs()));
        // clamp: passes at the (inclusive) bounds, 0 outside and for NaN.
        Assert.Equal(new float[] { 0, 1, 1, 1, 0, 0 }, Grad(new[] { -2f, -1, 0, 1, 2, float.NaN }, t => t.Clamp(-1, 1)));
        // pow(x, 0) = 1 everywhere with gradient exactly 0 (not 0·x⁻¹ = NaN at 0).
        Assert.Equal(new float[] { 0, 0, 0 }, Grad(new[] { 0f, 2, float.NaN }, t => t.Pow(0)));
        // sqrt / log / rsqrt at 0 give ±∞ like torch.
        Assert.Equal(new[] { float.PositiveInfinity }, Grad(new[] { 0f }, t => t.Sqrt()));
        Assert.Equal(new[] { float.PositiveInfinity }, Grad(new[] { 0f }, t => t.Log()));
        Assert.Equal(new[] { float.NegativeInfinity }, Grad(new[] { 0f }, t => t.Rsqrt()));
    }

    [Fact]
    public void PowTensorSpecialCasesMatchPyTorch()
    {
        // torch 1.13: a = [0, 0, 2, -2, 0], b = [0, 2, 0.5, 2, -1].
        var a = Tensor.FromArray(new float[] { 0, 0, 2, -2, 0 }).RequiresGrad_();
        var b = Tensor.FromArray(new float[] { 0, 2, 0.5f, 2, -1 }).RequiresGrad_();
        var y = a.Pow(b);
        y.Backward(Tensor.Ones(5));
        Assert.Equal(new float[] { 1, 0, MathF.Sqrt(2), 4, float.PositiveInfinity }, y.ToArray());
        Assert.Equal(new float[] { 0, 0, 0.35355338f, -4, float.NegativeInfinity }, a.Grad!.ToArray());
        var gb = b.Grad!.ToArray();
        Assert.Equal(new float[] { 0, 0 }, gb[..2]);
        Assert.Equal(0.98025813f, gb[2], 1e-6f);
        Assert.True(float.IsNaN(gb[3]));                     // 4·ln(−2)
        Assert.Equal(float.NegativeInfinity, gb[4]);         // ∞·ln 0, not masked since b < 0
    }

    [Fact]
    public void Float32GradientsAgreeWithFloat64()
    {
        var g = new Generator(25);
        var x64 = Tensor.Randn([4, 33], g, DType.Float64); // 33: vector body plus a tail
        foreach (var op in new[] { "gelu", "gelu_tanh", "silu", "tanh", "sigmoid", "exp" })
        {
            var w = Tensor.Randn([4, 33], g, DType.Float64);
            var d = x64.Detach().Clone().RequiresGrad_();
            Apply(op, d).Backward(w);
            var f = x64.Float().RequiresGrad_();
            Apply(op, f).Backward(w.Float());
            var gd = d.Grad!.ToDoubleArray();
            var gf = f.Grad!.ToArray();
            for (int i = 0; i < gd.Length; i++) Assert.True(Math.Abs(gd[i] - gf[i]) <= 1e-5 * (1 + Math.Abs(gd[i])), $"{op}: {gf[i]} vs {gd[i]}");
        }
    }

    [Fact]
    public void NonContiguousInputs()
    {
        var x = Tensor.Randn([3, 5], new Generator(26));
        foreach (var op in new[] { "exp", "gelu", "silu", "relu", "clamp", "pow3", "tanh" })
            Assert.Equal(Apply(op, x).T.ToArray(), Apply(op, x.T).ToArray());
    }

    [Fact]
    public void FunctionalFormsDelegate()
    {
        var x = Tensor.Randn([2, 7], new Generator(27));
        Assert.Equal(x.Gelu().ToArray(), F.Gelu(x).ToArray());
        Assert.Equal(x.Gelu("tanh").ToArray(), F.Gelu(x, "tanh").ToArray());
        Assert.Equal(x.Relu().ToArray(), F.Relu(x).ToArray());
        Assert.Equal(x.Silu().ToArray(), F.Silu(x).ToArray());
        Assert.Equal(x.Sigmoid().ToArray(), F.Sigmoid(x).ToArray());
        Assert.Equal(x.Tanh().ToArray(), F.Tanh(x).ToArray());
        Assert.NotEqual(x.Gelu().ToArray(), F.Gelu(x, "tanh").ToArray());
    }

    [Fact]
    public void ErrorsNameTheOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).Gelu("exact"));
        Assert.Contains("gelu", e.Message);
        Assert.Contains("\"exact\"", e.Message);
        var ints = Tensor.FromArray(new long[] { 1, 2 });
        e = Assert.Throws<ArgumentException>(() => ints.Exp());
        Assert.Contains("exp", e.Message);
        Assert.Contains("int64", e.Message);
        Assert.Contains("(2,)", e.Message);
        Assert.Throws<ArgumentException>(() => ints.Relu());
        Assert.Throws<ArgumentException>(() => ints.Pow(2));
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Pow(Tensor.Zeros(4)));
        Assert.Contains("pow", e.Message);
        Assert.Contains("(2,3)", e.Message);
        Assert.Contains("(4,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).Clamp());
        Assert.Contains("clamp", e.Message);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    static Tensor Apply(string op, Tensor x) => op switch
    {
        "exp" => x.Exp(),
        "log" => x.Log(),
        "sqrt" => x.Sqrt(),
        "rsqrt" => x.Rsqrt(),
        "tanh" => x.Tanh(),
        "sigmoid" => x.Sigmoid(),
        "gelu" => x.Gelu(),
        "gelu_tanh" => x.Gelu("tanh"),
        "silu" => x.Silu(),
        "neg" => x.Neg(),
        "relu" => x.Relu(),
        "abs" => x.Abs(),
        "clamp" => x.Clamp(-0.5, 0.5),
        "clamp_min" => x.Clamp(min: -0.5),
        "clamp_max" => x.Clamp(max: 0.5),
        "pow2" => x.Pow(2),
        "pow3" => x.Pow(3),
        "pow2.5" => x.Pow(2.5),
        "pow-1.5" => x.Pow(-1.5),
        _ => throw new ArgumentException(op),
    };

    static void Near(double[] expected, Tensor actual)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], 1e-15 * Math.Max(1, Math.Abs(expected[i])));
    }

    static float[] Grad(float[] values, Func<Tensor, Tensor> f)
    {
        var x = Tensor.FromArray(values).RequiresGrad_();
        f(x).Backward(Tensor.Ones(values.Length));
        return x.Grad!.ToArray();
    }

    /// <summary>Forward and d/dx in float64 (to 1e-14) and float32 (to 1e-6) against PyTorch's float64 values.</summary>
    static void AssertOp(double[] x, Func<Tensor, Tensor> f, double[] y, double[] dy)
    {
        var xd = Tensor.FromArray(x).RequiresGrad_();
        var outD = f(xd);
        outD.Backward(Tensor.Ones([x.Length], DType.Float64));
        var xf = Tensor.FromArray(Array.ConvertAll(x, v => (float)v)).RequiresGrad_();
        var outF = f(xf);
        outF.Backward(Tensor.Ones(x.Length));
        var (yd, gd, yf, gf) = (outD.ToDoubleArray(), xd.Grad!.ToDoubleArray(), outF.ToArray(), xf.Grad!.ToArray());
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(y[i], yd[i], 1e-14);
            Assert.Equal(dy[i], gd[i], 1e-14);
            Assert.Equal(y[i], yf[i], 1e-6);
            Assert.Equal(dy[i], gf[i], 1e-6);
        }
    }
}
