using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive twin of <see cref="Simd.BiasActivation"/>: one element at a time in double, the activation and
/// its derivative passed in as plain functions (PointwiseReference's textbook forms).</summary>
internal static class BiasActivationReference
{
    public static void Forward<T>(Span<T> pre, ReadOnlySpan<T> bias, Span<T> y, int n, Func<double, double> f)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < pre.Length; i++)
        {
            if (!bias.IsEmpty) pre[i] += bias[i % n];
            y[i] = T.CreateTruncating(f(double.CreateTruncating(pre[i])));
        }
    }

    public static void Backward<T>(ReadOnlySpan<T> pre, ReadOnlySpan<T> dy, Span<T> dpre, Span<T> dbias, int n, Func<double, double> fPrime)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = new double[n];
        for (int i = 0; i < pre.Length; i++)
        {
            double d = double.CreateTruncating(dy[i]) * fPrime(double.CreateTruncating(pre[i]));
            dpre[i] = T.CreateTruncating(d);
            sums[i % n] += d;
        }
        for (int j = 0; j < dbias.Length; j++) dbias[j] += T.CreateTruncating(sums[j]);
    }
}
