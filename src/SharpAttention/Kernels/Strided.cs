using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// Walks n-dimensional strided layouts row by row (the last dimension is the row). Used to materialise views
/// (Contiguous) and write into views. Rows are independent (the destination never repeats a location), so large
/// copies share their rows over the thread team.
/// </summary>
internal static class Strided
{
    /// <summary>dst[view] = src[view] for two strided layouts of the same shape.</summary>
    public static void Copy<T>(T[] src, int srcOffset, ReadOnlySpan<int> srcStrides,
                               T[] dst, int dstOffset, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape)
    {
        int nd = shape.Length;
        if (nd == 0)
        {
            dst[dstOffset] = src[srcOffset];
            return;
        }
        int inner = shape[nd - 1];
        if (inner == 0) return;
        long rows = Tensors.ShapeUtil.NumEl(shape) / inner;
        ParallelFor.For((int)rows, inner, new CopyRows<T>(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape));
    }

    readonly ref struct CopyRows<T>(T[] src, int srcOffset, ReadOnlySpan<int> srcStrides,
                                    T[] dst, int dstOffset, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> shape) : IRangeBody
    {
        readonly ReadOnlySpan<int> srcStrides = srcStrides, dstStrides = dstStrides, shape = shape;

        public void Run(int start, int end)
        {
            int nd = shape.Length, inner = shape[nd - 1];
            int ss = srcStrides[nd - 1], ds = dstStrides[nd - 1];
            Span<int> index = stackalloc int[nd];
            int so = srcOffset, d = dstOffset;
            Seek(start, index, shape, srcStrides, ref so, dstStrides, ref d);
            for (int r = start; r < end; r++)
            {
                if (ss == 1 && ds == 1) Array.Copy(src, so, dst, d, inner);
                else
                    for (int i = 0; i < inner; i++) dst[d + i * ds] = src[so + i * ss];
                Advance(index, shape, srcStrides, ref so, dstStrides, ref d);
            }
        }
    }

    /// <summary>Sets a row index (all dims but the last) to row <paramref name="row"/> and moves two offsets there
    /// from the first row's: where a share of rows starts.</summary>
    internal static void Seek(long row, Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, ref int a,
                              ReadOnlySpan<int> stridesB, ref int b)
    {
        for (int k = shape.Length - 2; k >= 0; k--)
        {
            int i = (int)(row % shape[k]);
            row /= shape[k];
            index[k] = i;
            a += i * stridesA[k];
            b += i * stridesB[k];
        }
    }

    /// <summary>Steps a row index (all dims but the last) and two offsets to the next row.</summary>
    internal static void Advance(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, ref int a,
                                 ReadOnlySpan<int> stridesB, ref int b)
    {
        for (int k = shape.Length - 2; k >= 0; k--)
        {
            if (++index[k] < shape[k])
            {
                a += stridesA[k];
                b += stridesB[k];
                return;
            }
            a -= stridesA[k] * (shape[k] - 1);
            b -= stridesB[k] * (shape[k] - 1);
            index[k] = 0;
        }
    }
}
