using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels;

/// <summary>
/// RMS normalisation over the rows of a contiguous (rows, n) block (Zhang and Sennrich 2019; torch.nn.functional.rms_norm):
/// y = x·rstd·w with rstd = 1/√(mean(x²) + eps). Forward saves rstd per row; backward gets dx and dw in one pass.
/// An empty weight span means the op has none. Reference twin: Reference/NormalizationReference.cs.
/// </summary>
internal static class RmsNormKernel
{
    public static void Forward<T>(Span<T> y, Span<T> rstd, ReadOnlySpan<T> x, ReadOnlySpan<T> weight, int n, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rstd.Length; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            T s = T.CreateTruncating(1 / Math.Sqrt(ReduceKernel.SumOfSquares(xr) / n + eps));
            rstd[r] = s;
            TensorPrimitives.Multiply(xr, s, yr);
            if (!weight.IsEmpty) TensorPrimitives.Multiply<T>(yr, weight, yr);
        }
    }

    /// <summary>With x̂ = x·rstd and dx̂ = dy∘w: dx = rstd·(dx̂ − x̂·mean(dx̂∘x̂)), dw += Σ_rows dy∘x̂.
    /// dx is overwritten, dw accumulates (the caller zeroes it); an empty dx or dw span skips that gradient.
    /// <paramref name="scratch"/> holds 2n elements.</summary>
    public static void Backward<T>(Span<T> dx, Span<T> dweight, ReadOnlySpan<T> dy, ReadOnlySpan<T> x,
                                   ReadOnlySpan<T> weight, ReadOnlySpan<T> rstd, int n, Span<T> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        var xhat = scratch[..n];
        var dxhatBuffer = scratch.Slice(n, n);
        for (int r = 0; r < rstd.Length; r++)
        {
            var dyr = dy.Slice(r * n, n);
            TensorPrimitives.Multiply(x.Slice(r * n, n), rstd[r], xhat);
            if (!dweight.IsEmpty) TensorPrimitives.MultiplyAdd(dyr, xhat, dweight, dweight);
            if (dx.IsEmpty) continue;

            ReadOnlySpan<T> dxhat = dyr;
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(dyr, weight, dxhatBuffer);
                dxhat = dxhatBuffer;
            }
            T meanDxhatXhat = T.CreateTruncating(ReduceKernel.Dot<T>(dxhat, xhat) / n);
            var dxr = dx.Slice(r * n, n);
            TensorPrimitives.MultiplyAdd(xhat, -meanDxhatXhat, dxhat, dxr);
            TensorPrimitives.Multiply(dxr, rstd[r], dxr);
        }
    }
}
