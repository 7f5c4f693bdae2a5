using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels;

/// <summary>
/// Row reductions over a contiguous (rows, n) block: sum, mean, variance, max/min with index, plus the careful
/// sums other row kernels share. Sums run over blocks of <see cref="Block"/> elements with TensorPrimitives
/// (vectorised, so each block has short accumulation chains) and add the block partials in double: the float32
/// error then stays near a few ulps whatever the row length. Reference twin: Reference/ReduceReference.cs.
/// </summary>
internal static class ReduceKernel
{
    /// <summary>Elements summed in one vectorised call before the partial joins the double accumulator.</summary>
    internal const int Block = 256;

    /// <summary>Σ x, accumulated in double.</summary>
    public static double Sum<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double acc = 0;
        for (int i = 0; i < x.Length; i += Block)
            acc += double.CreateTruncating(TensorPrimitives.Sum(x.Slice(i, Math.Min(Block, x.Length - i))));
        return acc;
    }

    /// <summary>Σ x·y, accumulated in double.</summary>
    public static double Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double acc = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            int len = Math.Min(Block, x.Length - i);
            acc += double.CreateTruncating(TensorPrimitives.Dot(x.Slice(i, len), y.Slice(i, len)));
        }
        return acc;
    }

    /// <summary>Σ x², accumulated in double.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double acc = 0;
        for (int i = 0; i < x.Length; i += Block)
            acc += double.CreateTruncating(TensorPrimitives.SumOfSquares(x.Slice(i, Math.Min(Block, x.Length - i))));
        return acc;
    }

    /// <summary>Σ (x − mean)², accumulated in double: the second pass of a two-pass variance. The deviations are
    /// formed in T one block at a time in a stack buffer, so no allocation is needed.</summary>
    public static double SumOfSquaredDeviations<T>(ReadOnlySpan<T> x, T mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> deviations = stackalloc T[Block];
        double acc = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            int len = Math.Min(Block, x.Length - i);
            var d = deviations[..len];
            TensorPrimitives.Subtract(x.Slice(i, len), mean, d);
            acc += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(d));
        }
        return acc;
    }

    /// <summary>y[r] = Σ x[r, :] for x of shape (y.Length, n).</summary>
    public static void SumRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < y.Length; r++) y[r] = T.CreateTruncating(Sum(x.Slice(r * n, n)));
    }

    /// <summary>Integer sums (Int64 and Bool inputs promoted to Int64, as torch.sum does); wraps on overflow like torch.</summary>
    public static void SumRows(Span<long> y, ReadOnlySpan<long> x, int n)
    {
        for (int r = 0; r < y.Length; r++)
        {
            long acc = 0;
            foreach (long v in x.Slice(r * n, n)) acc = unchecked(acc + v);
            y[r] = acc;
        }
    }

    /// <summary>y[r] = mean of x[r, :]; NaN for n = 0, as torch.mean of an empty tensor.</summary>
    public static void MeanRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < y.Length; r++) y[r] = T.CreateTruncating(Sum(x.Slice(r * n, n)) / n);
    }

    /// <summary>Two-pass variance of each row: mean first, then Σ(x − mean)² / max(0, n − correction) as torch.var
    /// divides (so n ≤ correction gives inf, or NaN when the deviations are all zero). Writes the row means too:
    /// the backward needs them.</summary>
    public static void VarRows<T>(Span<T> var, Span<T> mean, ReadOnlySpan<T> x, int n, int correction)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double divisor = Math.Max(0, (double)n - correction);
        for (int r = 0; r < var.Length; r++)
        {
            var row = x.Slice(r * n, n);
            T m = T.CreateTruncating(Sum(row) / n);
            mean[r] = m;
            var[r] = T.CreateTruncating(SumOfSquaredDeviations(row, m) / divisor);
        }
    }

    /// <summary>Largest (or smallest, when <paramref name="min"/>) element of each row of length n ≥ 1 and its index,
    /// with torch's rules: the first occurrence wins ties, a NaN beats everything (the first NaN is taken), and of
    /// −0 and +0 the earlier one is taken because they compare equal.</summary>
    public static void MaxRows<T>(Span<T> values, Span<long> indices, ReadOnlySpan<T> x, int n, bool min)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < values.Length; r++)
        {
            var row = x.Slice(r * n, n);
            // The vectorised Max/Min finds the value (propagating NaN); one scalar scan then finds its first position.
            T best = min ? TensorPrimitives.Min(row) : TensorPrimitives.Max(row);
            int i = 0;
            if (T.IsNaN(best))
                while (!T.IsNaN(row[i])) i++;
            else
                while (row[i] != best) i++;
            values[r] = row[i];
            indices[r] = i;
        }
    }
}
