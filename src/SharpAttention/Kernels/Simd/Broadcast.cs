using System.Numerics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// Applies a binary operator over two strided inputs already expanded to the output shape (broadcast dims have
/// stride 0), writing a contiguous output. Each row takes the vectorised span form when its layout allows.
/// </summary>
internal static class Broadcast
{
    public static void Binary<TOp, T>(T[] a, int aOffset, ReadOnlySpan<int> aStrides,
                                      T[] b, int bOffset, ReadOnlySpan<int> bStrides,
                                      Span<T> y, ReadOnlySpan<int> shape)
        where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nd = shape.Length;
        if (nd == 0)
        {
            y[0] = TOp.Invoke(a[aOffset], b[bOffset]);
            return;
        }
        int inner = shape[nd - 1];
        if (inner == 0) return;
        long rows = y.Length / inner;
        int sa = aStrides[nd - 1], sb = bStrides[nd - 1];
        Span<int> index = stackalloc int[nd];
        int ao = aOffset, bo = bOffset;
        for (long r = 0; r < rows; r++)
        {
            var row = y.Slice((int)(r * inner), inner);
            if (sa == 1 && sb == 1) TOp.Invoke<T>(a.AsSpan(ao, inner), b.AsSpan(bo, inner), row);
            else if (sa == 1 && sb == 0) TOp.Invoke(a.AsSpan(ao, inner), b[bo], row);
            else if (sa == 0 && sb == 1) TOp.Invoke(a[ao], b.AsSpan(bo, inner), row);
            else
                for (int i = 0; i < inner; i++) row[i] = TOp.Invoke(a[ao + i * sa], b[bo + i * sb]);
            Strided.Advance(index, shape, aStrides, ref ao, bStrides, ref bo);
        }
    }
}
