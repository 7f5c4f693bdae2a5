using System.Numerics;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

// GELU (both of PyTorch's forms), SiLU, an accurate tanh and ReLU as activation operators: forward and exact
// derivative at every width. All but ReLU are also IUnaryOps, so Unary.Compute runs their forward.

/// <summary>GELU, exact form: x·Φ(x) with Φ(x) = ½·erfc(−x/√2) (Hendrycks &amp; Gimpel 2016; torch gelu approximate='none').
/// f′(x) = Φ(x) + x·φ(x), φ the standard normal density. Φ is taken from erfc rather than 1 + erf so that
/// the negative tail keeps its relative accuracy.</summary>
internal readonly struct GeluOp : IActivationOp, IUnaryOp
{
    const double InvSqrt2 = 0.70710678118654752, InvSqrt2Pi = 0.39894228040143268;

    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Activation.Forward<GeluOp, T>(x, y);

    public static double Forward(double x) => x * (0.5 * SpecialFunctions.Erfc(-x * InvSqrt2));

    public static double Derivative(double x) =>
        0.5 * SpecialFunctions.Erfc(-x * InvSqrt2) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    public static Vector128<float> Forward(Vector128<float> x) => x * Cdf(x);

    public static Vector128<float> Derivative(Vector128<float> x) =>
        Cdf(x) + x * (float)InvSqrt2Pi * ExpNonPositive.Exp(-0.5f * x * x);

    public static Vector256<float> Forward(Vector256<float> x) => x * Cdf(x);

    public static Vector256<float> Derivative(Vector256<float> x) =>
        Cdf(x) + x * (float)InvSqrt2Pi * ExpNonPositive.Exp(-0.5f * x * x);

    public static Vector512<float> Forward(Vector512<float> x) => x * Cdf(x);

    public static Vector512<float> Derivative(Vector512<float> x) =>
        Cdf(x) + x * (float)InvSqrt2Pi * ExpNonPositive.Exp(-0.5f * x * x);

    /// <summary>Φ(x): ½·erfc(|x|/√2) for x &lt; 0, else 1 − ½·erfc(|x|/√2). NaN stays NaN (it fails x &lt; 0).</summary>
    static Vector128<float> Cdf(Vector128<float> x)
    {
        var c = HalfErfc(Vector128.Abs(x) * (float)InvSqrt2);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), c, Vector128<float>.One - c);
    }

    static Vector256<float> Cdf(Vector256<float> x)
    {
        var c = HalfErfc(Vector256.Abs(x) * (float)InvSqrt2);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), c, Vector256<float>.One - c);
    }

    static Vector512<float> Cdf(Vector512<float> x)
    {
        var c = HalfErfc(Vector512.Abs(x) * (float)InvSqrt2);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), c, Vector512<float>.One - c);
    }

    // ½·erfc(z) for z ≥ 0 from the Chebyshev fit erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2), fractional error
    // below 1.2e-7 for all z ≥ 0 (Press et al., Numerical Recipes, 2nd ed., §6.2). P's coefficients, t⁰ first:
    const float P0 = -1.26551223f, P1 = 1.00002368f, P2 = 0.37409196f, P3 = 0.09678418f, P4 = -0.18628806f,
        P5 = 0.27886807f, P6 = -1.13520398f, P7 = 1.48851587f, P8 = -0.82215223f, P9 = 0.17087277f;

    static Vector128<float> HalfErfc(Vector128<float> z)
    {
        var t = Vector128<float>.One / (Vector128<float>.One + 0.5f * z);
        var p = Vector128.MultiplyAddEstimate(Vector128.Create(P9), t, Vector128.Create(P8));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P7));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P6));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P5));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P4));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P3));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P2));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P1));
        p = Vector128.MultiplyAddEstimate(p, t, Vector128.Create(P0));
        return 0.5f * t * ExpNonPositive.Exp(p - z * z);
    }

    static Vector256<float> HalfErfc(Vector256<float> z)
    {
        var t = Vector256<float>.One / (Vector256<float>.One + 0.5f * z);
        var p = Vector256.MultiplyAddEstimate(Vector256.Create(P9), t, Vector256.Create(P8));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P7));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P6));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P5));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P4));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P3));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P2));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P1));
        p = Vector256.MultiplyAddEstimate(p, t, Vector256.Create(P0));
        return 0.5f * t * ExpNonPositive.Exp(p - z * z);
    }

    static Vector512<float> HalfErfc(Vector512<float> z)
    {
        var t = Vector512<float>.One / (Vector512<float>.One + 0.5f * z);
        var p = Vector512.MultiplyAddEstimate(Vector512.Create(P9), t, Vector512.Create(P8));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P7));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P6));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P5));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P4));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P3));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P2));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P1));
        p = Vector512.MultiplyAddEstimate(p, t, Vector512.Create(P0));
        return 0.5f * t * ExpNonPositive.Exp(p - z * z);
    }
}

/// <summary>GELU, tanh form: ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³) (torch gelu approximate='tanh'),
/// computed as x·σ(2u) since ½(1 + tanh u) = σ(2u): one exp, no cancellation near u = 0.
/// f′(x) = s + x·s(1 − s)·2u′ with s = σ(2u), u′ = √(2/π)(1 + 3·0.044715x²).</summary>
internal readonly struct GeluTanhOp : IActivationOp, IUnaryOp
{
    const double K = 0.79788456080286536, A = 0.044715;

    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Activation.Forward<GeluTanhOp, T>(x, y);

    public static double Forward(double x) => x / (1 + Math.Exp(-2 * K * (x + A * x * x * x)));

    public static double Derivative(double x)
    {
        double s = 1 / (1 + Math.Exp(-2 * K * (x + A * x * x * x)));
        return s + x * s * (1 - s) * (2 * K) * (1 + 3 * A * x * x);
    }

    public static Vector128<float> Forward(Vector128<float> x) => x * S(x);

    public static Vector128<float> Derivative(Vector128<float> x)
    {
        var s = S(x);
        return s + x * s * (Vector128<float>.One - s) * (float)(2 * K) * (Vector128<float>.One + (float)(3 * A) * x * x);
    }

    public static Vector256<float> Forward(Vector256<float> x) => x * S(x);

    public static Vector256<float> Derivative(Vector256<float> x)
    {
        var s = S(x);
        return s + x * s * (Vector256<float>.One - s) * (float)(2 * K) * (Vector256<float>.One + (float)(3 * A) * x * x);
    }

    public static Vector512<float> Forward(Vector512<float> x) => x * S(x);

    public static Vector512<float> Derivative(Vector512<float> x)
    {
        var s = S(x);
        return s + x * s * (Vector512<float>.One - s) * (float)(2 * K) * (Vector512<float>.One + (float)(3 * A) * x * x);
    }

    /// <summary>σ(2u) = 1/(1 + e^(−2u)); e^(−2u) overflowing to ∞ gives the correct limit 0.</summary>
    static Vector128<float> S(Vector128<float> x) =>
        Vector128<float>.One / (Vector128<float>.One + Vector128.Exp((float)(-2 * K) * (x + (float)A * x * x * x)));

    static Vector256<float> S(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp((float)(-2 * K) * (x + (float)A * x * x * x)));

    static Vector512<float> S(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp((float)(-2 * K) * (x + (float)A * x * x * x)));
}

/// <summary>SiLU / swish: x·σ(x) = x/(1 + e^(−x)) (torch silu). f′(x) = σ(x)(1 + x(1 − σ(x))).</summary>
internal readonly struct SiluOp : IActivationOp, IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Activation.Forward<SiluOp, T>(x, y);

    public static double Forward(double x) => x / (1 + Math.Exp(-x));

    public static double Derivative(double x)
    {
        double s = 1 / (1 + Math.Exp(-x));
        return s * (1 + x * (1 - s));
    }

    public static Vector128<float> Forward(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Exp(-x));

    public static Vector128<float> Derivative(Vector128<float> x)
    {
        var s = Vector128<float>.One / (Vector128<float>.One + Vector128.Exp(-x));
        return s * (Vector128<float>.One + x * (Vector128<float>.One - s));
    }

    public static Vector256<float> Forward(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));

    public static Vector256<float> Derivative(Vector256<float> x)
    {
        var s = Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
        return s * (Vector256<float>.One + x * (Vector256<float>.One - s));
    }

    public static Vector512<float> Forward(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));

    public static Vector512<float> Derivative(Vector512<float> x)
    {
        var s = Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));
        return s * (Vector512<float>.One + x * (Vector512<float>.One - s));
    }
}

/// <summary>tanh. Not TensorPrimitives.Tanh: its 1 − 2/(e^(2x) + 1) form loses all relative accuracy near 0
/// (tanh(0) = −6e-8 in float). Float lanes are widened to double, where that form's absolute error (1e-16) is far
/// below a float ulp for |x| ≥ 2⁻¹²; below that tanh(x) rounds to x itself (x³/3 is under half an ulp).
/// Double uses Math.Tanh. f′(x) = 1 − tanh²(x).</summary>
internal readonly struct TanhOp : IActivationOp, IUnaryOp
{
    const float Tiny = 1f / 4096;

    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        Activation.Forward<TanhOp, T>(x, y);

    public static double Forward(double x) => Math.Tanh(x);

    public static double Derivative(double x)
    {
        double t = Math.Tanh(x);
        return 1 - t * t;
    }

    public static Vector128<float> Forward(Vector128<float> x)
    {
        var (lo, hi) = Vector128.Widen(x);
        var t = Vector128.Narrow(Wide(lo), Wide(hi));
        return Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(x), Vector128.Create(Tiny)), x, t);
    }

    public static Vector128<float> Derivative(Vector128<float> x)
    {
        var t = Forward(x);
        return Vector128<float>.One - t * t;
    }

    public static Vector256<float> Forward(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        var t = Vector256.Narrow(Wide(lo), Wide(hi));
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(Tiny)), x, t);
    }

    public static Vector256<float> Derivative(Vector256<float> x)
    {
        var t = Forward(x);
        return Vector256<float>.One - t * t;
    }

    public static Vector512<float> Forward(Vector512<float> x)
    {
        var (lo, hi) = Vector512.Widen(x);
        var t = Vector512.Narrow(Wide(lo), Wide(hi));
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), Vector512.Create(Tiny)), x, t);
    }

    public static Vector512<float> Derivative(Vector512<float> x)
    {
        var t = Forward(x);
        return Vector512<float>.One - t * t;
    }

    // 1 − 2/(e^(2x) + 1): e^(2x) = ∞ gives 1 and e^(2x) = 0 gives −1, so no overflow case; NaN stays NaN.
    static Vector128<double> Wide(Vector128<double> x) =>
        Vector128<double>.One - Vector128.Create(2.0) / (Vector128.Exp(x + x) + Vector128<double>.One);

    static Vector256<double> Wide(Vector256<double> x) =>
        Vector256<double>.One - Vector256.Create(2.0) / (Vector256.Exp(x + x) + Vector256<double>.One);

    static Vector512<double> Wide(Vector512<double> x) =>
        Vector512<double>.One - Vector512.Create(2.0) / (Vector512.Exp(x + x) + Vector512<double>.One);
}

/// <summary>ReLU as an activation operator, for the fused bias + activation kernel: max(x, 0) with NaN kept (IEEE
/// maximum, as torch.relu), f′(x) = 1 for x &gt; 0 else 0 (0 at NaN, as torch's threshold backward gives).</summary>
internal readonly struct ReluActivationOp : IActivationOp
{
    public static double Forward(double x) => double.IsNaN(x) ? x : Math.Max(x, 0);
    public static double Derivative(double x) => x > 0 ? 1 : 0;
    public static Vector128<float> Forward(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
    public static Vector128<float> Derivative(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One, Vector128<float>.Zero);
    public static Vector256<float> Forward(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public static Vector256<float> Derivative(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, Vector256<float>.Zero);
    public static Vector512<float> Forward(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
    public static Vector512<float> Derivative(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
}
