using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive scalar twins of <see cref="ReduceKernel"/>: one element at a time, double accumulation, the textbook
/// definitions. The test oracle for the vectorised row reductions.</summary>
internal static class ReduceReference
{
    public static void SumRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < y.Length; r++)
        {
            double acc = 0;
            for (int i = 0; i < n; i++) acc += double.CreateTruncating(x[r * n + i]);
            y[r] = T.CreateTruncating(acc);
        }
    }

    public static void MeanRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < y.Length; r++)
        {
            double acc = 0;
            for (int i = 0; i < n; i++) acc += double.CreateTruncating(x[r * n + i]);
            y[r] = T.CreateTruncating(acc / n);
        }
    }

    public static void VarRows<T>(Span<T> var, Span<T> mean, ReadOnlySpan<T> x, int n, int correction)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < var.Length; r++)
        {
            double m = 0;
            for (int i = 0; i < n; i++) m += double.CreateTruncating(x[r * n + i]);
            m /= n;
            double ss = 0;
            for (int i = 0; i < n; i++)
            {
                double d = double.CreateTruncating(x[r * n + i]) - m;
                ss += d * d;
            }
            mean[r] = T.CreateTruncating(m);
            var[r] = T.CreateTruncating(ss / Math.Max(0, n - correction));
        }
    }

    public static void MaxRows<T>(Span<T> values, Span<long> indices, ReadOnlySpan<T> x, int n, bool min)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < values.Length; r++)
        {
            int best = 0;
            for (int i = 1; i < n && !T.IsNaN(x[r * n + best]); i++)
            {
                T v = x[r * n + i], b = x[r * n + best];
                if (T.IsNaN(v) || (min ? v < b : v > b)) best = i;
            }
            values[r] = x[r * n + best];
            indices[r] = best;
        }
    }
}
