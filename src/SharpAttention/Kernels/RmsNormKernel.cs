using System.Numerics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// RMS normalisation over the rows of a contiguous (rows, n) block (Zhang and Sennrich 2019; torch.nn.functional.rms_norm):
/// y = x·rstd·w with rstd = 1/√(mean(x²) + eps). Forward saves rstd per row; backward gets dx and dw in one sweep
/// (<see cref="NormalizationRows"/> with the mean fixed at 0). Rows run in parallel. An empty weight span means the
/// op has none. Reference twin: Reference/NormalizationReference.cs.
/// </summary>
internal static class RmsNormKernel
{
    public static void Forward<T>(Span<T> y, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelFor.For(rstd.Length, (long)n * 3, new ForwardRows<T>(y, rstd, x, weight, n, eps));

    /// <summary>With x̂ = x·rstd and dx̂ = dy∘w: dx = rstd·(dx̂ − x̂·mean(dx̂∘x̂)), dw += Σ_rows dy∘x̂.
    /// dx is overwritten, dw accumulates (the caller zeroes it); an empty dx or dw span skips that gradient.</summary>
    public static void Backward<T>(Span<T> dx, Span<T> dweight, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                   ReadOnlySpan<T> weight, ReadOnlySpan<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        NormalizationRows.Backward(dx, dweight, default, dy, x, weight, default, rstd, n);

    readonly ref struct ForwardRows<T>(Span<T> y, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, int n, double eps) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> y = y, rstd = rstd;
        readonly ReadOnlySpan<T> x = x, weight = weight;

        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var xr = x.Slice(r * n, n);
                T s = T.CreateTruncating(1 / Math.Sqrt(ReduceKernel.SumOfSquares(xr) / n + eps));
                rstd[r] = s;
                NormalizationRows.Apply(y.Slice(r * n, n), xr, T.Zero, s, weight, default);
            }
        }
    }
}
