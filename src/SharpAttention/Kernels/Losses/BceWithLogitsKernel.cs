using System.Numerics;
using System.Numerics.Tensors;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Losses;

/// <summary>
/// Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits), elementwise:
///   loss = (1−t)·x + max(−x, 0) + log(1 + exp(−|x|)),
/// which equals the stable form max(x, 0) − x·t + log(1 + exp(−|x|)) for finite x, and like PyTorch gives +Inf rather
/// than NaN at x = +Inf, t &lt; 1. Gradients: dloss/dx = sigmoid(x) − t, dloss/dt = −x.
/// Vectorised with TensorPrimitives in chunks through a stack buffer; fixed-size chunks of elements are shared over
/// the thread team (elementwise, so the same bits for any thread count).
/// </summary>
internal static class BceWithLogitsKernel
{
    const int Chunk = 256;

    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, Span<T> loss) where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, 16, new Body<T>(x, target, default, loss, default, default));

    // grad: upstream gradient per element, or one value for every element
    // dx: (sigmoid(x) − t)·grad and dt: −x·grad, each skipped when its span is empty
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, ReadOnlySpan<T> grad, Span<T> dx, Span<T> dt)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, 16, new Body<T>(x, target, grad, default, dx, dt));

    /// <summary>A chunk of the forward (loss non-empty) or of the backward.</summary>
    readonly ref struct Body<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, ReadOnlySpan<T> grad, Span<T> loss, Span<T> dx, Span<T> dt)
        : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x, target = target, grad = grad;
        readonly Span<T> loss = loss, dx = dx, dt = dt;

        public void Run(int lo, int hi)
        {
            if (!loss.IsEmpty)
            {
                ForwardChunk(x[lo..hi], target[lo..hi], loss[lo..hi]);
                return;
            }
            var g = grad.Length == 1 ? grad : grad[lo..hi];
            if (!dx.IsEmpty) BackwardInput(x[lo..hi], target[lo..hi], g, dx[lo..hi]);
            if (!dt.IsEmpty) BackwardTarget(x[lo..hi], g, dt[lo..hi]);
        }
    }

    static void ForwardChunk<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, Span<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> buf = stackalloc T[Chunk];
        for (int k = 0; k < x.Length; k += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - k);
            var xs = x.Slice(k, n);
            var ts = target.Slice(k, n);
            var l = loss.Slice(k, n);
            var b = buf[..n];
            TensorPrimitives.Abs<T>(xs, l);
            TensorPrimitives.Negate<T>(l, l);
            TensorPrimitives.Exp<T>(l, l);
            TensorPrimitives.LogP1<T>(l, l);                 // log(1 + exp(−|x|))
            TensorPrimitives.Negate<T>(xs, b);
            TensorPrimitives.Max<T>(b, T.Zero, b);            // max(−x, 0), NaN stays NaN
            TensorPrimitives.Add<T>(l, b, l);
            TensorPrimitives.Subtract<T>(T.One, ts, b);
            TensorPrimitives.MultiplyAdd<T>(b, xs, l, l);     // + (1−t)·x
        }
    }

    // grad: upstream gradient per element, or one value for every element
    // dx: (sigmoid(x) − t)·grad
    static void BackwardInput<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, ReadOnlySpan<T> grad, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty) return;   // TensorPrimitives.Sigmoid rejects empty spans
        TensorPrimitives.Sigmoid<T>(x, dx);
        TensorPrimitives.Subtract<T>(dx, target, dx);
        if (grad.Length == 1) TensorPrimitives.Multiply<T>(dx, grad[0], dx);
        else TensorPrimitives.Multiply<T>(dx, grad, dx);
    }

    // grad: upstream gradient per element, or one value for every element
    // dt: −x·grad
    static void BackwardTarget<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> grad, Span<T> dt) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Negate<T>(x, dt);
        if (grad.Length == 1) TensorPrimitives.Multiply<T>(dt, grad[0], dt);
        else TensorPrimitives.Multiply<T>(dt, grad, dt);
    }
}
