using System.Numerics;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels;
using SharpAttention.Kernels.Reference;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Kernels;

/// <summary>Elementwise kernels (Kernels/Simd PointwiseOps and Activations) against their naive double twins in
/// Kernels/Reference on every length 0..257, plus NaN/±∞ behaviour matching PyTorch.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class PointwiseKernelTests
{
    const int MaxLength = 257;

    // Float tolerances: TensorPrimitives functions are within a few ulp; GELU's float erfc fit has fractional error
    // 1.2e-7 plus the rounding of z² in its exponent, which grows in the far negative tail (where the values are
    // below 1e-6 anyway), so it gets a relative bound and an absolute floor scaled by |x|.
    public static TheoryData<string> UnaryOps => new() { "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "abs", "relu", "sign", "gelu", "gelu_tanh", "silu" };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void FloatForwardMatchesReferenceOnAllLengths(string op)
    {
        var rng = new Random(op.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var (fast, reference, lo, hi) = Unary(op);
        KernelPaths.ForEachWidth(width =>
        {
            for (int n = 0; n <= MaxLength; n++)
            {
                var x = RandomArray<float>(rng, n, lo, hi);
                var y = new float[n];
                var r = new float[n];
                fast.Float(x, y);
                PointwiseReference.Map<float>(x, r, reference);
                AssertClose(x, r, y, $"{op} width {width}", n, rel: 2e-6, abs: 2e-7);
            }
        });
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void DoubleForwardMatchesReferenceOnAllLengths(string op)
    {
        var rng = new Random(op.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var (fast, reference, lo, hi) = Unary(op);
        for (int n = 0; n <= MaxLength; n++)
        {
            var x = RandomArray<double>(rng, n, lo, hi);
            var y = new double[n];
            var r = new double[n];
            fast.Double(x, y);
            PointwiseReference.Map<double>(x, r, reference);
            AssertClose(x, r, y, op, n, rel: 1e-13, abs: 1e-15);
        }
    }

    public static TheoryData<string> Activations => new() { "gelu", "gelu_tanh", "silu", "tanh" };

    /// <summary>The activation operators with per-width forms (ReLU's is used by the fused bias + activation kernel).</summary>
    public static TheoryData<string> ActivationOps => new() { "gelu", "gelu_tanh", "silu", "tanh", "relu" };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationBackwardMatchesReferenceOnAllLengths(string op)
    {
        var rng = new Random(17);
        var (grad, gradF, gradD) = Derivative(op);
        KernelPaths.ForEachWidth(width =>
        {
            for (int n = 0; n <= MaxLength; n++)
            {
                var x = RandomArray<float>(rng, n, -9, 9);
                var dy = RandomArray<float>(rng, n, -2, 2);
                var dx = new float[n];
                var r = new float[n];
                gradF(x, dy, dx);
                PointwiseReference.MapGrad<float>(x, dy, r, grad);
                AssertClose(x, r, dx, $"{op} backward width {width}", n, rel: 2e-6, abs: 4e-7);

                var xd = Array.ConvertAll(x, v => (double)v);
                var dyd = Array.ConvertAll(dy, v => (double)v);
                var dxd = new double[n];
                var rd = new double[n];
                gradD(xd, dyd, dxd);
                PointwiseReference.MapGrad<double>(xd, dyd, rd, grad);
                AssertClose(xd, rd, dxd, op + " backward (double)", n, rel: 1e-13, abs: 1e-15);
            }
        });
    }

    /// <summary>Every SIMD path this machine runs (512, 256, 128 and scalar), forward and backward, through the
    /// dispatcher with the width forced; the padded tails are covered by every length up to 70.</summary>
    [Theory]
    [MemberData(nameof(ActivationOps))]
    public void EachVectorWidthMatchesReference(string op)
    {
        var rng = new Random(5);
        var (f, grad) = op switch
        {
            "gelu" => ((Func<double, double>)PointwiseReference.Gelu, (Func<double, double>)PointwiseReference.GeluGrad),
            "gelu_tanh" => (PointwiseReference.GeluTanh, PointwiseReference.GeluTanhGrad),
            "tanh" => (PointwiseReference.Tanh, PointwiseReference.TanhGrad),
            "relu" => (PointwiseReference.Relu, PointwiseReference.ReluGrad),
            _ => (PointwiseReference.Silu, PointwiseReference.SiluGrad),
        };
        var (fwd, bwd) = ActivationKernels(op);
        KernelPaths.ForEachWidth(width =>
        {
            for (int n = 0; n <= 70; n++)
            {
                var x = RandomArray<float>(rng, n, -9, 9);
                var dy = RandomArray<float>(rng, n, -2, 2);
                var y = new float[n];
                var r = new float[n];
                fwd(x, y);
                PointwiseReference.Map<float>(x, r, f);
                AssertClose(x, r, y, $"{op} width {width}", n, rel: 2e-6, abs: 2e-7);
                bwd(x, dy, y);
                PointwiseReference.MapGrad<float>(x, dy, r, grad);
                AssertClose(x, r, y, $"{op} backward width {width}", n, rel: 2e-6, abs: 4e-7);
            }
        });
    }

    /// <summary>An element's result does not depend on where it sits (vector body or padded tail), and in-place
    /// calls (x and y the same array) give the same answer.</summary>
    [Theory]
    [MemberData(nameof(Activations))]
    public void ResultDoesNotDependOnPositionAndInPlaceIsSafe(string op)
    {
        var (fast, _, _, _) = Unary(op);
        var x = RandomArray<float>(new Random(3), 41, -6, 6);
        var whole = new float[41];
        fast.Float(x, whole);
        for (int i = 0; i < x.Length; i++)
        {
            var one = new float[1];
            fast.Float([x[i]], one);
            Assert.Equal(whole[i], one[0]);
        }
        var inPlace = (float[])x.Clone();
        fast.Float(inPlace, inPlace);
        Assert.Equal(whole, inPlace);
    }

    [Theory]
    // Expected values from torch 1.13 (float32).
    [InlineData("exp", new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, 100f }, new[] { float.PositiveInfinity, 0f, float.NaN, 1f, float.PositiveInfinity })]
    [InlineData("log", new[] { -1f, 0f, float.PositiveInfinity, float.NaN, 1f }, new[] { float.NaN, float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0f })]
    [InlineData("sqrt", new[] { -1f, 0f, float.PositiveInfinity, float.NaN, 4f }, new[] { float.NaN, 0f, float.PositiveInfinity, float.NaN, 2f })]
    [InlineData("rsqrt", new[] { -1f, 0f, float.PositiveInfinity, float.NaN, 4f }, new[] { float.NaN, float.PositiveInfinity, 0f, float.NaN, 0.5f })]
    [InlineData("tanh", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, 0f, 1e-9f, -1e-5f }, new[] { -1f, 1f, float.NaN, 0f, 1e-9f, -1e-5f })]
    [InlineData("sigmoid", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -200f }, new[] { 0f, 1f, float.NaN, 0f })]
    [InlineData("abs", new[] { float.NegativeInfinity, float.NaN, -2f }, new[] { float.PositiveInfinity, float.NaN, 2f })]
    [InlineData("relu", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -2f, 3f }, new[] { 0f, float.PositiveInfinity, float.NaN, 0f, 3f })]
    [InlineData("sign", new[] { float.NegativeInfinity, float.NaN, 0f, 2f }, new[] { -1f, 0f, 0f, 1f })]
    [InlineData("gelu", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -100f, 100f }, new[] { float.NaN, float.PositiveInfinity, float.NaN, 0f, 100f })]
    [InlineData("gelu_tanh", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -100f, 100f }, new[] { float.NaN, float.PositiveInfinity, float.NaN, 0f, 100f })]
    [InlineData("silu", new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN, -200f, 100f }, new[] { float.NaN, float.PositiveInfinity, float.NaN, 0f, 100f })]
    public void SpecialValuesPropagateLikePyTorch(string op, float[] x, float[] expected)
    {
        var (fast, _, _, _) = Unary(op);
        // Repeat the inputs so they pass through the vector body as well as the tail.
        var xs = Enumerable.Repeat(x, 9).SelectMany(v => v).ToArray();
        var y = new float[xs.Length];
        fast.Float(xs, y);
        var yd = new double[xs.Length];
        fast.Double(Array.ConvertAll(xs, v => (double)v), yd);
        for (int i = 0; i < xs.Length; i++)
        {
            // Non-finite and zero results exactly; finite ones within an ulp (TensorPrimitives' float exp(0) is 1 + 1 ulp).
            float e = expected[i % x.Length];
            float tol = float.IsFinite(e) ? 1.2e-7f * Math.Abs(e) : 0;
            Assert.Equal(e, y[i], tol);
            Assert.Equal(e, (float)yd[i], tol);
        }
    }

    [Theory]
    // d/dx at ±∞ and NaN is NaN in PyTorch for all three (∞·0 in the product rule); far tails give 0 and 1.
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("silu")]
    public void ActivationDerivativeSpecialValues(string op)
    {
        var (_, gradF, gradD) = Derivative(op);
        float[] x = [float.NegativeInfinity, float.PositiveInfinity, float.NaN, -100f, 100f];
        float[] expected = [float.NaN, float.NaN, float.NaN, 0f, 1f];
        var xs = Enumerable.Repeat(x, 7).SelectMany(v => v).ToArray();
        var ones = Enumerable.Repeat(1f, xs.Length).ToArray();
        var dx = new float[xs.Length];
        gradF(xs, ones, dx);
        var dxd = new double[xs.Length];
        gradD(Array.ConvertAll(xs, v => (double)v), Array.ConvertAll(ones, v => (double)v), dxd);
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(expected[i % x.Length], dx[i], 1e-30f);
            Assert.Equal(expected[i % x.Length], (float)dxd[i], 1e-30f);
        }
    }

    [Fact]
    public void PowMatchesMathPowIncludingNegativeBases()
    {
        var rng = new Random(11);
        for (int n = 0; n <= MaxLength; n++)
        {
            var a = RandomArray<double>(rng, n, -3, 3);
            var b = new double[n];
            for (int i = 0; i < n; i++) b[i] = i % 3 == 0 ? rng.Next(-3, 4) : rng.NextDouble() * 4 - 2;
            var y = new double[n];
            var r = new double[n];
            PowOp.Invoke<double>(a, b, y);
            PointwiseReference.Pow<double>(a, b, r);
            AssertClose(a, r, y, "pow", n, rel: 1e-13, abs: 1e-15);

            var af = Array.ConvertAll(a, v => (float)v);
            var bf = Array.ConvertAll(b, v => (float)v);
            var yf = new float[n];
            var rf = new float[n];
            PowOp.Invoke<float>(af, bf, yf);
            PointwiseReference.Pow<float>(af, bf, rf);
            AssertClose(af, rf, yf, "pow (float)", n, rel: 4e-6, abs: 1e-7);

            Pointwise.Pow<double>(a, 3.0, y);
            for (int i = 0; i < n; i++) Assert.Equal(a[i] * a[i] * a[i], y[i], 1e-12 * Math.Max(1, Math.Abs(y[i])));
        }
    }

    [Fact]
    public void ClampMatchesNaiveIncludingCrossedBoundsAndNaN()
    {
        var x = new[] { -5.0, -1, 0, 1, 5, double.NaN, double.NegativeInfinity, double.PositiveInfinity };
        var y = new double[x.Length];
        Pointwise.Clamp<double>(x, -1.5, 2.0, y);
        Assert.Equal(new[] { -1.5, -1, 0, 1, 2, double.NaN, -1.5, 2 }, y);
        Pointwise.Clamp<double>(x, null, 0.5, y);
        Assert.Equal(new[] { -5.0, -1, 0, 0.5, 0.5, double.NaN, double.NegativeInfinity, 0.5 }, y);
        Pointwise.Clamp<double>(x, 3.0, 1.0, y); // min > max: everything becomes max (NaN stays NaN)
        Assert.Equal(new[] { 1.0, 1, 1, 1, 1, double.NaN, 1, 1 }, y);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    sealed record FastUnary(Action<float[], float[]> Float, Action<double[], double[]> Double);

    static FastUnary Make<TOp>() where TOp : IUnaryOp => new((x, y) => TOp.Invoke<float>(x, y), (x, y) => TOp.Invoke<double>(x, y));

    /// <summary>The fast kernel, its reference and a domain for random inputs.</summary>
    static (FastUnary Fast, Func<double, double> Reference, double Lo, double Hi) Unary(string op) => op switch
    {
        "exp" => (Make<ExpOp>(), PointwiseReference.Exp, -20, 20),
        "log" => (Make<LogOp>(), PointwiseReference.Log, 1e-3, 100),
        "sqrt" => (Make<SqrtOp>(), PointwiseReference.Sqrt, 0, 100),
        "rsqrt" => (Make<RsqrtOp>(), PointwiseReference.Rsqrt, 1e-3, 100),
        "tanh" => (Make<TanhOp>(), PointwiseReference.Tanh, -6, 6),
        "sigmoid" => (Make<SigmoidOp>(), PointwiseReference.Sigmoid, -20, 20),
        "abs" => (Make<AbsOp>(), PointwiseReference.Abs, -10, 10),
        "relu" => (Make<ReluOp>(), PointwiseReference.Relu, -10, 10),
        "sign" => (Make<SignOp>(), PointwiseReference.Sign, -10, 10),
        "gelu" => (Make<GeluOp>(), PointwiseReference.Gelu, -10, 10),
        "gelu_tanh" => (Make<GeluTanhOp>(), PointwiseReference.GeluTanh, -10, 10),
        "silu" => (Make<SiluOp>(), PointwiseReference.Silu, -20, 20),
        _ => throw new ArgumentException(op),
    };

    static (Func<double, double> Reference, Action<float[], float[], float[]> Float, Action<double[], double[], double[]> Double) Derivative(string op) => op switch
    {
        "gelu" => (PointwiseReference.GeluGrad, (x, g, d) => Activation.Backward<GeluOp, float>(x, g, d), (x, g, d) => Activation.Backward<GeluOp, double>(x, g, d)),
        "gelu_tanh" => (PointwiseReference.GeluTanhGrad, (x, g, d) => Activation.Backward<GeluTanhOp, float>(x, g, d), (x, g, d) => Activation.Backward<GeluTanhOp, double>(x, g, d)),
        "tanh" => (PointwiseReference.TanhGrad, (x, g, d) => Activation.Backward<TanhOp, float>(x, g, d), (x, g, d) => Activation.Backward<TanhOp, double>(x, g, d)),
        _ => (PointwiseReference.SiluGrad, (x, g, d) => Activation.Backward<SiluOp, float>(x, g, d), (x, g, d) => Activation.Backward<SiluOp, double>(x, g, d)),
    };

    static (Action<float[], float[]> Forward, Action<float[], float[], float[]> Backward) ActivationKernels(string op) => op switch
    {
        "gelu" => ((x, y) => Activation.Forward<GeluOp, float>(x, y), (x, g, d) => Activation.Backward<GeluOp, float>(x, g, d)),
        "gelu_tanh" => ((x, y) => Activation.Forward<GeluTanhOp, float>(x, y), (x, g, d) => Activation.Backward<GeluTanhOp, float>(x, g, d)),
        "tanh" => ((x, y) => Activation.Forward<TanhOp, float>(x, y), (x, g, d) => Activation.Backward<TanhOp, float>(x, g, d)),
        "relu" => ((x, y) => Activation.Forward<ReluActivationOp, float>(x, y), (x, g, d) => Activation.Backward<ReluActivationOp, float>(x, g, d)),
        _ => ((x, y) => Activation.Forward<SiluOp, float>(x, y), (x, g, d) => Activation.Backward<SiluOp, float>(x, g, d)),
    };

    static T[] RandomArray<T>(Random rng, int n, double lo, double hi) where T : INumberBase<T>
    {
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = T.CreateChecked(lo + (hi - lo) * rng.NextDouble());
        return a;
    }

    /// <summary>|fast − ref| ≤ rel·|ref| + abs·max(1, |x|), NaN only where the reference is NaN.</summary>
    static void AssertClose<T>(T[] x, T[] expected, T[] actual, string op, int n, double rel, double abs) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]), xi = double.CreateChecked(x[i]);
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue;
            double tol = rel * Math.Abs(e) + abs * Math.Max(1, Math.Abs(xi));
            if (!(Math.Abs(e - a) <= tol))
                Assert.Fail($"{op} ({typeof(T).Name}), length {n}, index {i}, x = {xi:R}: fast {a:R}, reference {e:R}");
        }
    }
}
