using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive scalar twins of <see cref="SoftmaxKernel"/>: the textbook max-subtracted formulas, one element at a
/// time in double. The test oracle for the vectorised row kernels.</summary>
internal static class SoftmaxReference
{
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < x.Length / n; r++)
        {
            double max = RowMax(x.Slice(r * n, n)), sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(D(x[r * n + i]) - max);
            for (int i = 0; i < n; i++) y[r * n + i] = T.CreateTruncating(Math.Exp(D(x[r * n + i]) - max) / sum);
        }
    }

    public static void LogForward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < x.Length / n; r++)
        {
            double max = RowMax(x.Slice(r * n, n)), sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Exp(D(x[r * n + i]) - max);
            double logSum = Math.Log(sum);
            for (int i = 0; i < n; i++) y[r * n + i] = T.CreateTruncating(D(x[r * n + i]) - max - logSum);
        }
    }

    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < y.Length / n; r++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += D(dy[r * n + i]) * D(y[r * n + i]);
            for (int i = 0; i < n; i++) dx[r * n + i] = T.CreateTruncating(D(y[r * n + i]) * (D(dy[r * n + i]) - dot));
        }
    }

    public static void LogBackward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; n > 0 && r < y.Length / n; r++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += D(dy[r * n + i]);
            for (int i = 0; i < n; i++) dx[r * n + i] = T.CreateTruncating(D(dy[r * n + i]) - Math.Exp(D(y[r * n + i])) * sum);
        }
    }

    /// <summary>Row maximum with NaN propagation (Math.Max returns NaN if either argument is NaN).</summary>
    static double RowMax<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, D(v));
        return max;
    }

    static double D<T>(T v) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(v);
}
