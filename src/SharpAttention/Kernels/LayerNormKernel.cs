using System.Numerics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// Layer normalisation over the rows of a contiguous (rows, n) block (Ba, Kiros and Hinton 2016; torch.layer_norm):
/// y = (x − mean)·rstd·w + b with rstd = 1/√(var + eps) and the biased variance. Forward saves mean and rstd per row;
/// backward gets dx, dw and db in one sweep over the rows (the llm.c formulation, <see cref="NormalizationRows"/>).
/// Rows run in parallel. An empty weight or bias span means the op has none. Reference twin:
/// Reference/NormalizationReference.cs.
/// </summary>
internal static class LayerNormKernel
{
    public static void Forward<T>(Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x,
                                  ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.Each(mean.Length, (long)n * 4, new ForwardRows<T>(y, mean, rstd, x, weight, bias, n, eps));

    /// <summary>With x̂ = (x − mean)·rstd and dx̂ = dy∘w: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂∘x̂)),
    /// dw += Σ_rows dy∘x̂, db += Σ_rows dy. dx is overwritten; dw and db accumulate (the caller zeroes them).
    /// An empty dx, dw or db span skips that gradient.</summary>
    public static void Backward<T>(Span<T> dx, Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                   ReadOnlySpan<T> weight, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        NormalizationRows.Backward(dx, dweight, dbias, dy, x, weight, mean, rstd, n);

    readonly ref struct ForwardRows<T>(Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x,
                                       ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, double eps) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> y = y, mean = mean, rstd = rstd;
        readonly ReadOnlySpan<T> x = x, weight = weight, bias = bias;

        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var xr = x.Slice(r * n, n);
                // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly when the
                // mean is large against the spread; the mean itself is corrected for the same reason (see Mean).
                T m = NormalizationRows.Mean(xr);
                double var = NormalizationRows.SumOfSquaredDeviations(xr, m) / n;
                T s = T.CreateTruncating(1 / Math.Sqrt(var + eps));
                mean[r] = m;
                rstd[r] = s;
                NormalizationRows.Apply(y.Slice(r * n, n), xr, m, s, weight, bias);
            }
        }
    }
}
