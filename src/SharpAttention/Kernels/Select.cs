using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>y = cond ? a : b over three strided layouts broadcast to one shape (torch.where), contiguous output.
/// Rows are independent and shared over the thread team.</summary>
internal static class Select
{
    public static void Where<T>(bool[] c, int cOffset, ReadOnlySpan<int> cStrides,
                                T[] a, int aOffset, ReadOnlySpan<int> aStrides,
                                T[] b, int bOffset, ReadOnlySpan<int> bStrides,
                                Span<T> y, ReadOnlySpan<int> shape)
    {
        int nd = shape.Length;
        if (nd == 0)
        {
            y[0] = c[cOffset] ? a[aOffset] : b[bOffset];
            return;
        }
        int inner = shape[nd - 1];
        if (inner == 0 || y.IsEmpty) return;
        ChunkedFor.Each(y.Length / inner, inner, new Rows<T>(c, cOffset, cStrides, a, aOffset, aStrides, b, bOffset, bStrides, y, shape));
    }

    readonly ref struct Rows<T>(bool[] c, int cOffset, ReadOnlySpan<int> cStrides, T[] a, int aOffset, ReadOnlySpan<int> aStrides,
                                T[] b, int bOffset, ReadOnlySpan<int> bStrides, Span<T> y, ReadOnlySpan<int> shape) : IRangeBody
    {
        readonly ReadOnlySpan<int> cStrides = cStrides, aStrides = aStrides, bStrides = bStrides, shape = shape;
        readonly Span<T> y = y;

        public void Run(int start, int end)
        {
            int nd = shape.Length, inner = shape[nd - 1];
            int sc = cStrides[nd - 1], sa = aStrides[nd - 1], sb = bStrides[nd - 1];
            Span<int> index = stackalloc int[nd];
            int co = cOffset, ao = aOffset, bo = bOffset;
            // Seek the first row of the share: its index and the three offsets.
            long rest = start;
            for (int k = nd - 2; k >= 0; k--)
            {
                int i = (int)(rest % shape[k]);
                rest /= shape[k];
                index[k] = i;
                co += i * cStrides[k];
                ao += i * aStrides[k];
                bo += i * bStrides[k];
            }
            for (int r = start; r < end; r++)
            {
                var row = y.Slice(r * inner, inner);
                for (int i = 0; i < row.Length; i++) row[i] = c[co + i * sc] ? a[ao + i * sa] : b[bo + i * sb];
                // Step the row index (all dims but the last), carrying like an odometer; offsets follow.
                for (int k = nd - 2; k >= 0; k--)
                {
                    if (++index[k] < shape[k])
                    {
                        co += cStrides[k];
                        ao += aStrides[k];
                        bo += bStrides[k];
                        break;
                    }
                    co -= cStrides[k] * (shape[k] - 1);
                    ao -= aStrides[k] * (shape[k] - 1);
                    bo -= bStrides[k] * (shape[k] - 1);
                    index[k] = 0;
                }
            }
        }
    }
}
