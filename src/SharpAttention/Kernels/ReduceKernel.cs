using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// Row reductions over a contiguous (rows, n) block: sum, mean, variance, max/min with index, plus the careful
/// sums other row kernels share. Sums run over blocks of <see cref="Block"/> elements with TensorPrimitives
/// (vectorised, so each block has short accumulation chains) and add the block partials in double: the float32
/// error then stays near a few ulps whatever the row length. Rows are independent and shared over the thread team.
/// Reference twin: Reference/ReduceReference.cs.
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

    /// <summary>Σ (x − mean)², accumulated in double: the second pass of a two-pass variance, one fused operator
    /// struct pass with no buffer.</summary>
    public static double SumOfSquaredDeviations<T>(ReadOnlySpan<T> x, T mean) where T : unmanaged, IFloatingPointIeee754<T> =>
        NormalizationRows.SumOfSquaredDeviations(x, mean);

    /// <summary>y[r] = Σ x[r, :] for x of shape (y.Length, n). Rows are shared over the thread team; a single long
    /// row is cut into its accumulation blocks instead, whose partials are added in block order exactly as the
    /// sequential <see cref="Sum{T}"/> adds them, so the result is the same for any thread count.</summary>
    public static void SumRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length == 1 && n >= 16 * Block && Threads.Count > 1)
        {
            y[0] = T.CreateTruncating(SumLong(x[..n]));
            return;
        }
        ChunkedFor.Each(y.Length, n, new Rows<T>(Mode.Sum, y, default, default, x, n, 0, false));
    }

    /// <summary>Σ x over block partials computed in parallel and added in order.</summary>
    static double SumLong<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blocks = (x.Length + Block - 1) / Block;
        var partials = ArrayPool<double>.Shared.Rent(blocks);
        try
        {
            ChunkedFor.Each(blocks, Block, new BlockSums<T>(x, partials));
            double acc = 0;
            for (int b = 0; b < blocks; b++) acc += partials[b];
            return acc;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partials);
        }
    }

    readonly ref struct BlockSums<T>(ReadOnlySpan<T> x, double[] partials) : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x;

        public void Run(int start, int end)
        {
            for (int b = start; b < end; b++)
                partials[b] = double.CreateTruncating(TensorPrimitives.Sum(x.Slice(b * Block, Math.Min(Block, x.Length - b * Block))));
        }
    }

    /// <summary>y[c] = Σ_r x[r, c] for a contiguous x of shape (rows, y.Length): the sum over leading dims that
    /// broadcast gradients (bias gradients) need, read row by row instead of transposed first. Each column is
    /// accumulated in double in row order; columns are shared over the team in fixed blocks, so the result does
    /// not depend on the thread count.</summary>
    public static void SumColumns<T>(Span<T> y, ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = y.Length;
        if (cols == 0) return;
        int rows = x.Length / cols;
        ChunkedFor.Each((cols + ColumnBlock - 1) / ColumnBlock, (long)rows * ColumnBlock, new ColumnSums<T>(y, x, rows));
    }

    const int ColumnBlock = 64;

    readonly ref struct ColumnSums<T>(Span<T> y, ReadOnlySpan<T> x, int rows) : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> y = y;
        readonly ReadOnlySpan<T> x = x;

        public void Run(int start, int end)
        {
            Span<double> acc = stackalloc double[ColumnBlock], wide = stackalloc double[ColumnBlock];
            int cols = y.Length;
            for (int blk = start; blk < end; blk++)
            {
                int c0 = blk * ColumnBlock, width = Math.Min(ColumnBlock, cols - c0);
                var a = acc[..width];
                var w = wide[..width];
                a.Clear();
                for (int r = 0; r < rows; r++)
                {
                    var row = x.Slice(r * cols + c0, width);
                    if (typeof(T) == typeof(double)) TensorPrimitives.Add(a, MemoryMarshal.Cast<T, double>(row), a);
                    else
                    {
                        TensorPrimitives.ConvertTruncating<T, double>(row, w);
                        TensorPrimitives.Add(a, w, a);
                    }
                }
                for (int c = 0; c < width; c++) y[c0 + c] = T.CreateTruncating(a[c]);
            }
        }
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
    public static void MeanRows<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.Each(y.Length, n, new Rows<T>(Mode.Mean, y, default, default, x, n, 0, false));

    /// <summary>Two-pass variance of each row: mean first, then Σ(x − mean)² / max(0, n − correction) as torch.var
    /// divides (so n ≤ correction gives inf, or NaN when the deviations are all zero). Writes the row means too:
    /// the backward needs them.</summary>
    public static void VarRows<T>(Span<T> var, Span<T> mean, ReadOnlySpan<T> x, int n, int correction)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.Each(var.Length, 2L * n, new Rows<T>(Mode.Var, var, mean, default, x, n, correction, false));

    /// <summary>Largest (or smallest, when <paramref name="min"/>) element of each row of length n ≥ 1 and its index,
    /// with torch's rules: the first occurrence wins ties, a NaN beats everything (the first NaN is taken), and of
    /// −0 and +0 the earlier one is taken because they compare equal.</summary>
    public static void MaxRows<T>(Span<T> values, Span<long> indices, ReadOnlySpan<T> x, int n, bool min)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.Each(values.Length, 2L * n, new Rows<T>(Mode.Max, values, default, indices, x, n, 0, min));

    enum Mode { Sum, Mean, Var, Max }

    /// <summary>A share of rows of one of the row reductions; each row is computed alone.</summary>
    readonly ref struct Rows<T>(Mode mode, Span<T> y, Span<T> mean, Span<long> indices, ReadOnlySpan<T> x, int n, int correction, bool min)
        : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> y = y, mean = mean;
        readonly Span<long> indices = indices;
        readonly ReadOnlySpan<T> x = x;

        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var row = x.Slice(r * n, n);
                switch (mode)
                {
                    case Mode.Sum: y[r] = T.CreateTruncating(Sum(row)); break;
                    case Mode.Mean: y[r] = T.CreateTruncating(Sum(row) / n); break;
                    case Mode.Var:
                        T m = NormalizationRows.Mean(row);
                        mean[r] = m;
                        y[r] = T.CreateTruncating(SumOfSquaredDeviations(row, m) / Math.Max(0, (double)n - correction));
                        break;
                    default: MaxRow(row, r); break;
                }
            }
        }

        void MaxRow(ReadOnlySpan<T> row, int r)
        {
            // The vectorised Max/Min finds the value (propagating NaN); one scalar scan then finds its first position.
            T best = min ? TensorPrimitives.Min(row) : TensorPrimitives.Max(row);
            int i = 0;
            if (T.IsNaN(best))
                while (!T.IsNaN(row[i])) i++;
            else
                while (row[i] != best) i++;
            y[r] = row[i];
            indices[r] = i;
        }
    }
}
