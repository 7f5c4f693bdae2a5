using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>
/// Naive scalar twins of the elementwise kernels in Kernels/Simd (PointwiseOps, Activations): one element at a
/// time in double, written straight from the textbook formula (GELU-tanh in its literal tanh form, derivatives
/// by the product rule), rounded once to the element type. The test oracle for the vectorised forms.
/// </summary>
internal static class PointwiseReference
{
    const double InvSqrt2 = 0.70710678118654752, InvSqrt2Pi = 0.39894228040143268, K = 0.79788456080286536, A = 0.044715;

    public static double Exp(double x) => Math.Exp(x);
    public static double Log(double x) => Math.Log(x);
    public static double Sqrt(double x) => Math.Sqrt(x);
    public static double Rsqrt(double x) => 1 / Math.Sqrt(x);
    public static double Tanh(double x) => Math.Tanh(x);
    public static double TanhGrad(double x) => 1 / (Math.Cosh(x) * Math.Cosh(x));
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    public static double Abs(double x) => Math.Abs(x);
    public static double Relu(double x) => double.IsNaN(x) ? x : x > 0 ? x : 0;
    public static double ReluGrad(double x) => x > 0 ? 1 : 0;
    public static double Sign(double x) => x > 0 ? 1 : x < 0 ? -1 : 0;

    /// <summary>Φ(x), the standard normal CDF.</summary>
    public static double NormalCdf(double x) => 0.5 * SpecialFunctions.Erfc(-x * InvSqrt2);

    public static double Gelu(double x) => x * NormalCdf(x);
    public static double GeluGrad(double x) => NormalCdf(x) + x * InvSqrt2Pi * Math.Exp(-x * x / 2);

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(K * (x + A * x * x * x)));

    public static double GeluTanhGrad(double x)
    {
        double t = Math.Tanh(K * (x + A * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * A * x * x);
    }

    public static double Silu(double x) => x * Sigmoid(x);

    public static double SiluGrad(double x)
    {
        double s = Sigmoid(x);
        return s + x * s * (1 - s);
    }

    /// <summary>y[i] = f(x[i]) computed in double.</summary>
    public static void Map<T>(ReadOnlySpan<T> x, Span<T> y, Func<double, double> f) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.CreateChecked(f(double.CreateChecked(x[i])));
    }

    /// <summary>dx[i] = dy[i]·f′(x[i]) computed in double.</summary>
    public static void MapGrad<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Func<double, double> fPrime)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] = T.CreateChecked(double.CreateChecked(dy[i]) * fPrime(double.CreateChecked(x[i])));
    }

    /// <summary>Elementwise a^b (Math.Pow semantics, which match C's pow and PyTorch).</summary>
    public static void Pow<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++) y[i] = T.CreateChecked(Math.Pow(double.CreateChecked(a[i]), double.CreateChecked(b[i])));
    }
}
