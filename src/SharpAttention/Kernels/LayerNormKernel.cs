using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels;

/// <summary>
/// Layer normalisation over the rows of a contiguous (rows, n) block (Ba, Kiros and Hinton 2016; torch.layer_norm):
/// y = (x − mean)·rstd·w + b with rstd = 1/√(var + eps) and the biased variance. Forward saves mean and rstd per row;
/// backward gets dx, dw and db in one pass over the rows (the llm.c formulation). An empty weight or bias span means
/// the op has none (rows have n ≥ 1 whenever there is work). Reference twin: Reference/NormalizationReference.cs.
/// </summary>
internal static class LayerNormKernel
{
    public static void Forward<T>(Span<T> y, Span<T> mean, Span<T> rstd, ReadOnlySpan<T> x,
                                  ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < mean.Length; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly when the
            // mean is large against the spread.
            T m = T.CreateTruncating(ReduceKernel.Sum(xr) / n);
            double var = ReduceKernel.SumOfSquaredDeviations(xr, m) / n;
            T s = T.CreateTruncating(1 / Math.Sqrt(var + eps));
            mean[r] = m;
            rstd[r] = s;
            TensorPrimitives.Subtract(xr, m, yr);
            TensorPrimitives.Multiply(yr, s, yr);
            if (!weight.IsEmpty && !bias.IsEmpty) TensorPrimitives.MultiplyAdd<T>(yr, weight, bias, yr);
            else if (!weight.IsEmpty) TensorPrimitives.Multiply<T>(yr, weight, yr);
            else if (!bias.IsEmpty) TensorPrimitives.Add<T>(yr, bias, yr);
        }
    }

    /// <summary>With x̂ = (x − mean)·rstd and dx̂ = dy∘w: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂∘x̂)),
    /// dw += Σ_rows dy∘x̂, db += Σ_rows dy. dx is overwritten; dw and db accumulate (the caller zeroes them).
    /// An empty dx, dw or db span skips that gradient. <paramref name="scratch"/> holds 2n elements.</summary>
    public static void Backward<T>(Span<T> dx, Span<T> dweight, Span<T> dbias, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                   ReadOnlySpan<T> weight, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd, int n, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        var xhat = scratch[..n];
        var dxhatBuffer = scratch.Slice(n, n);
        for (int r = 0; r < mean.Length; r++)
        {
            var dyr = dy.Slice(r * n, n);
            TensorPrimitives.Subtract(x.Slice(r * n, n), mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
            if (!dbias.IsEmpty) TensorPrimitives.Add(dbias, dyr, dbias);
            if (!dweight.IsEmpty) TensorPrimitives.MultiplyAdd(dyr, xhat, dweight, dweight);
            if (dx.IsEmpty) continue;

            ReadOnlySpan<T> dxhat = dyr;
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(dyr, weight, dxhatBuffer);
                dxhat = dxhatBuffer;
            }
            T meanDxhat = T.CreateTruncating(ReduceKernel.Sum(dxhat) / n);
            T meanDxhatXhat = T.CreateTruncating(ReduceKernel.Dot<T>(dxhat, xhat) / n);
            var dxr = dx.Slice(r * n, n);
            TensorPrimitives.MultiplyAdd(xhat, -meanDxhatXhat, dxhat, dxr);
            TensorPrimitives.Subtract(dxr, meanDxhat, dxr);
            TensorPrimitives.Multiply(dxr, rstd[r], dxr);
        }
    }
}
