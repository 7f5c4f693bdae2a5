using System.Numerics;

namespace SharpAttention.Kernels;

/// <summary>A two-argument test producing a bool (comparisons, logical and/or).</summary>
internal interface IPredicate<T>
{
    static abstract bool Invoke(T a, T b);
}

// IEEE comparisons: every ordered comparison with NaN is false and NaN != NaN, as in PyTorch.
internal readonly struct EqOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a == b; }
internal readonly struct NeOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a != b; }
internal readonly struct LtOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a < b; }
internal readonly struct LeOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a <= b; }
internal readonly struct GtOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a > b; }
internal readonly struct GeOp<T> : IPredicate<T> where T : INumber<T> { public static bool Invoke(T a, T b) => a >= b; }
internal readonly struct AndOp : IPredicate<bool> { public static bool Invoke(bool a, bool b) => a & b; }
internal readonly struct OrOp : IPredicate<bool> { public static bool Invoke(bool a, bool b) => a | b; }

/// <summary>
/// Applies a predicate over two strided inputs already expanded to the output shape (broadcast dims have
/// stride 0), writing a contiguous bool output. Masks are built once per batch, so a scalar loop is enough.
/// </summary>
internal static class Predicate
{
    public static void Broadcast<TOp, T>(T[] a, int aOffset, ReadOnlySpan<int> aStrides,
                                         T[] b, int bOffset, ReadOnlySpan<int> bStrides,
                                         Span<bool> y, ReadOnlySpan<int> shape)
        where TOp : IPredicate<T>
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
            if (sa == 1 && sb == 1)
            {
                var ar = a.AsSpan(ao, inner);
                var br = b.AsSpan(bo, inner);
                for (int i = 0; i < row.Length; i++) row[i] = TOp.Invoke(ar[i], br[i]);
            }
            else
                for (int i = 0; i < row.Length; i++) row[i] = TOp.Invoke(a[ao + i * sa], b[bo + i * sb]);
            Strided.Advance(index, shape, aStrides, ref ao, bStrides, ref bo);
        }
    }

    public static void Not(ReadOnlySpan<bool> x, Span<bool> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = !x[i];
    }
}
