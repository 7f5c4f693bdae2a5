using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels;

/// <summary>
/// Row softmax and log-softmax over a contiguous (rows, n) block, forward and backward (torch.softmax /
/// log_softmax along the last dim). The row max is subtracted before exp, so logits of any size are safe
/// (TensorPrimitives.SoftMax does not do this). Non-finite rows follow from IEEE arithmetic exactly as in torch:
/// a row that is all −inf gives (−inf) − (−inf) = NaN everywhere, a +inf or NaN entry makes the whole row NaN.
/// Reference twin: Reference/SoftmaxReference.cs.
/// </summary>
internal static class SoftmaxKernel
{
    /// <summary>y = exp(x − max) / Σ exp(x − max) per row.</summary>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        for (int r = 0; r < x.Length / n; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            T max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            T sum = T.CreateTruncating(ReduceKernel.Sum<T>(yr));
            TensorPrimitives.Divide(yr, sum, yr);
        }
    }

    /// <summary>y = (x − max) − log Σ exp(x − max) per row. The two subtractions stay separate: folding max and the
    /// log-sum into one constant first would round it and lose digits of y when the logits are large.</summary>
    public static void LogForward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        Span<T> exps = stackalloc T[ReduceKernel.Block];
        for (int r = 0; r < x.Length / n; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            T max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            double sum = 0;
            for (int i = 0; i < n; i += ReduceKernel.Block)
            {
                var e = exps[..Math.Min(ReduceKernel.Block, n - i)];
                TensorPrimitives.Exp(yr.Slice(i, e.Length), e);
                sum += double.CreateTruncating(TensorPrimitives.Sum<T>(e));
            }
            TensorPrimitives.Subtract(yr, T.CreateTruncating(Math.Log(sum)), yr);
        }
    }

    /// <summary>dx = y ∘ (dy − Σ dy∘y) per row, from the saved softmax output y.</summary>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        for (int r = 0; r < y.Length / n; r++)
        {
            var dyr = dy.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            var dxr = dx.Slice(r * n, n);
            T dot = T.CreateTruncating(ReduceKernel.Dot(dyr, yr));
            TensorPrimitives.Subtract(dyr, dot, dxr);
            TensorPrimitives.Multiply<T>(dxr, yr, dxr);
        }
    }

    /// <summary>dx = dy − exp(y)·Σ dy per row, from the saved log-softmax output y.</summary>
    public static void LogBackward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        for (int r = 0; r < y.Length / n; r++)
        {
            var dyr = dy.Slice(r * n, n);
            var dxr = dx.Slice(r * n, n);
            T sum = T.CreateTruncating(ReduceKernel.Sum(dyr));
            TensorPrimitives.Exp(y.Slice(r * n, n), dxr);
            TensorPrimitives.MultiplyAdd(dxr, -sum, dyr, dxr);
        }
    }
}
