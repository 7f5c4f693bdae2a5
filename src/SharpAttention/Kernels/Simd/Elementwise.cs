using System.Numerics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// Elementwise kernels over whole tensors, shared over the thread team in fixed chunks (<see cref="ChunkedFor"/>):
/// each chunk is one call of the single-thread operator, so results are bit-identical for any thread count.
/// </summary>
internal static class Elementwise
{
    /// <summary>y = op(x) for a unary operator; cost is its work per element in ≈ multiply-adds.</summary>
    public static void Unary<TOp, T>(ReadOnlySpan<T> x, Span<T> y, int cost = 2)
        where TOp : IUnaryOp where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, cost, new UnaryBody<TOp, T>(x, y));

    /// <summary>dx = dy·f′(x).</summary>
    public static void ActivationBackward<TOp, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx)
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, 24, new BackwardBody<TOp, T>(x, dy, dx));

    readonly ref struct UnaryBody<TOp, T>(ReadOnlySpan<T> x, Span<T> y) : IRangeBody
        where TOp : IUnaryOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x;
        readonly Span<T> y = y;

        public void Run(int start, int end) => TOp.Invoke(x[start..end], y[start..end]);
    }

    readonly ref struct BackwardBody<TOp, T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) : IRangeBody
        where TOp : IActivationOp where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x, dy = dy;
        readonly Span<T> dx = dx;

        public void Run(int start, int end) => Activation.Backward<TOp, T>(x[start..end], dy[start..end], dx[start..end]);
    }
}
