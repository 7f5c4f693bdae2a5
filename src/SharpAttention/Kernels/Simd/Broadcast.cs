using System.Numerics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// Applies a binary operator over two strided inputs already expanded to the output shape (broadcast dims have
/// stride 0), writing a contiguous output. Operands that are dense over the whole output (or a single scalar) run as
/// one flat span in fixed chunks; otherwise rows take the vectorised span form when their layout allows. Either way
/// the work is shared over the thread team with results independent of the thread count.
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
        if (y.IsEmpty) return;
        int inner = shape[nd - 1];
        var ka = Kind(aStrides, shape);
        var kb = Kind(bStrides, shape);
        if (ka != Layout.Strided && kb != Layout.Strided && !(ka == Layout.Scalar && kb == Layout.Scalar))
        {
            ChunkedFor.For(y.Length, 2, new FlatBody<TOp, T>(ka == Layout.Dense ? a.AsSpan(aOffset, y.Length) : default, a[aOffset],
                                                              kb == Layout.Dense ? b.AsSpan(bOffset, y.Length) : default, b[bOffset], y));
            return;
        }
        ParallelFor.For(y.Length / inner, inner, new RowBody<TOp, T>(a, aOffset, aStrides, b, bOffset, bStrides, y, shape));
    }

    enum Layout { Dense, Scalar, Strided }

    /// <summary>Dense: row-major contiguous over the whole shape; Scalar: one element read everywhere.</summary>
    static Layout Kind(ReadOnlySpan<int> strides, ReadOnlySpan<int> shape)
    {
        bool scalar = true, dense = true;
        int expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (strides[d] != 0) scalar = false;
            if (strides[d] != expected) dense = false;
            expected *= shape[d];
        }
        return scalar ? Layout.Scalar : dense ? Layout.Dense : Layout.Strided;
    }

    /// <summary>A chunk of a flat output; an empty operand span means that operand is its scalar.</summary>
    readonly ref struct FlatBody<TOp, T>(ReadOnlySpan<T> a, T aScalar, ReadOnlySpan<T> b, T bScalar, Span<T> y) : IRangeBody
        where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> a = a, b = b;
        readonly Span<T> y = y;

        public void Run(int start, int end)
        {
            if (a.IsEmpty) TOp.Invoke(aScalar, b[start..end], y[start..end]);
            else if (b.IsEmpty) TOp.Invoke(a[start..end], bScalar, y[start..end]);
            else TOp.Invoke<T>(a[start..end], b[start..end], y[start..end]);
        }
    }

    readonly ref struct RowBody<TOp, T>(T[] a, int aOffset, ReadOnlySpan<int> aStrides, T[] b, int bOffset, ReadOnlySpan<int> bStrides,
                                        Span<T> y, ReadOnlySpan<int> shape) : IRangeBody
        where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<int> aStrides = aStrides, bStrides = bStrides, shape = shape;
        readonly Span<T> y = y;

        public void Run(int start, int end)
        {
            int nd = shape.Length, inner = shape[nd - 1];
            int sa = aStrides[nd - 1], sb = bStrides[nd - 1];
            Span<int> index = stackalloc int[nd];
            int ao = aOffset, bo = bOffset;
            Strided.Seek(start, index, shape, aStrides, ref ao, bStrides, ref bo);
            for (int r = start; r < end; r++)
            {
                var row = y.Slice(r * inner, inner);
                if (sa == 1 && sb == 1) TOp.Invoke<T>(a.AsSpan(ao, inner), b.AsSpan(bo, inner), row);
                else if (sa == 1 && sb == 0) TOp.Invoke(a.AsSpan(ao, inner), b[bo], row);
                else if (sa == 0 && sb == 1) TOp.Invoke(a[ao], b.AsSpan(bo, inner), row);
                else
                    for (int i = 0; i < inner; i++) row[i] = TOp.Invoke(a[ao + i * sa], b[bo + i * sb]);
                Strided.Advance(index, shape, aStrides, ref ao, bStrides, ref bo);
            }
        }
    }
}
