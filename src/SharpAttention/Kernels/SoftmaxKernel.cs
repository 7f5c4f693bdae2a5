using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels;

/// <summary>
/// Row softmax and log-softmax over a contiguous (rows, n) block, forward and backward (torch.softmax /
/// log_softmax along the last dim). The row max is subtracted before exp, so logits of any size are safe
/// (TensorPrimitives.SoftMax does not do this). Non-finite rows follow from IEEE arithmetic exactly as in torch:
/// a row that is all −inf gives (−inf) − (−inf) = NaN everywhere, a +inf or NaN entry makes the whole row NaN.
/// Rows are independent, so they are shared over the thread team and the result is the same for any thread count.
/// Each row is a few passes over data that is in L1 by then: max, exp(x − max) (an operator struct), the blocked
/// sum, and one scaling pass. Reference twin: Reference/SoftmaxReference.cs.
/// </summary>
internal static class SoftmaxKernel
{
    /// <summary>Work per element in ≈ multiply-adds (exp dominates), for the thread-team threshold.</summary>
    const int ExpCost = 16;

    /// <summary>y = exp(x − max) / Σ exp(x − max) per row.</summary>
    public static void Forward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        ParallelFor.For(x.Length / n, (long)n * ExpCost, new Rows<T>(Mode.Forward, y, x, default, n));
    }

    /// <summary>y = (x − max) − log Σ exp(x − max) per row. The two subtractions stay separate: folding max and the
    /// log-sum into one constant first would round it and lose digits of y when the logits are large.</summary>
    public static void LogForward<T>(Span<T> y, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        ParallelFor.For(x.Length / n, (long)n * ExpCost, new Rows<T>(Mode.LogForward, y, x, default, n));
    }

    /// <summary>dx = y ∘ (dy − Σ dy∘y) per row, from the saved softmax output y.</summary>
    public static void Backward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        ParallelFor.For(y.Length / n, (long)n * 4, new Rows<T>(Mode.Backward, dx, dy, y, n));
    }

    /// <summary>dx = dy − exp(y)·Σ dy per row, from the saved log-softmax output y.</summary>
    public static void LogBackward<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0) return;
        ParallelFor.For(y.Length / n, (long)n * ExpCost, new Rows<T>(Mode.LogBackward, dx, dy, y, n));
    }

    enum Mode { Forward, LogForward, Backward, LogBackward }

    /// <summary>One share of rows. Forward modes: output = y, a = x. Backward modes: output = dx, a = dy, b = y.</summary>
    readonly ref struct Rows<T>(Mode mode, Span<T> output, ReadOnlySpan<T> a, ReadOnlySpan<T> b, int n) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly Span<T> output = output;
        readonly ReadOnlySpan<T> a = a, b = b;

        public void Run(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var o = output.Slice(r * n, n);
                var ar = a.Slice(r * n, n);
                switch (mode)
                {
                    case Mode.Forward: ForwardRow(o, ar); break;
                    case Mode.LogForward: LogForwardRow(o, ar); break;
                    case Mode.Backward: TensorPrimitives.AddMultiply(ar, -T.CreateTruncating(ReduceKernel.Dot(ar, b.Slice(r * n, n))), b.Slice(r * n, n), o); break;
                    default: LogBackwardRow(o, ar, b.Slice(r * n, n)); break;
                }
            }
        }
    }

    static void ForwardRow<T>(Span<T> y, ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);   // NaN if any element is NaN
        var exp = new ExpShifted<T>(x, max, T.One, y);
        SimdLoop.Map<ExpShifted<T>, T>(ref exp, 0, x.Length);
        // One rounded reciprocal and a multiply: within 1.5 ulp of the division, at a fraction of its cost.
        TensorPrimitives.Multiply(y, T.CreateTruncating(1 / ReduceKernel.Sum<T>(y)), y);
    }

    static void LogForwardRow<T>(Span<T> y, ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);
        var exp = new ExpShifted<T>(x, max, T.One, y);   // y is scratch for exp(x − max) here
        SimdLoop.Map<ExpShifted<T>, T>(ref exp, 0, x.Length);
        var sub = new SubtractTwice<T>(x, max, T.CreateTruncating(Math.Log(ReduceKernel.Sum<T>(y))), y);
        SimdLoop.Map<SubtractTwice<T>, T>(ref sub, 0, x.Length);
    }

    static void LogBackwardRow<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var op = new MinusExpTimes<T>(dy, y, T.CreateTruncating(ReduceKernel.Sum(dy)), dx);
        SimdLoop.Map<MinusExpTimes<T>, T>(ref op, 0, y.Length);
    }

    /// <summary>y = (x − a) − b.</summary>
    ref struct SubtractTwice<T>(ReadOnlySpan<T> x, T a, T b, Span<T> y) : IMapStep where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T x = ref MemoryMarshal.GetReference(x);
        readonly ref T y = ref MemoryMarshal.GetReference(y);

        public void Step512(int i) => (Vector512.LoadUnsafe(ref x, (nuint)i) - Vector512.Create(a) - Vector512.Create(b)).StoreUnsafe(ref y, (nuint)i);
        public void Step256(int i) => (Vector256.LoadUnsafe(ref x, (nuint)i) - Vector256.Create(a) - Vector256.Create(b)).StoreUnsafe(ref y, (nuint)i);
        public void Step128(int i) => (Vector128.LoadUnsafe(ref x, (nuint)i) - Vector128.Create(a) - Vector128.Create(b)).StoreUnsafe(ref y, (nuint)i);
        public void Step1(int i) => Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) - a - b;
    }

    /// <summary>dx = dy − exp(y)·s.</summary>
    ref struct MinusExpTimes<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> y, T s, Span<T> dx) : IMapStep where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ref T dy = ref MemoryMarshal.GetReference(dy);
        readonly ref T y = ref MemoryMarshal.GetReference(y);
        readonly ref T dx = ref MemoryMarshal.GetReference(dx);

        public void Step512(int i) =>
            (Vector512.LoadUnsafe(ref dy, (nuint)i) - VectorMath.Exp(Vector512.LoadUnsafe(ref y, (nuint)i)) * Vector512.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        public void Step256(int i) =>
            (Vector256.LoadUnsafe(ref dy, (nuint)i) - VectorMath.Exp(Vector256.LoadUnsafe(ref y, (nuint)i)) * Vector256.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        public void Step128(int i) =>
            (Vector128.LoadUnsafe(ref dy, (nuint)i) - VectorMath.Exp(Vector128.LoadUnsafe(ref y, (nuint)i)) * Vector128.Create(s)).StoreUnsafe(ref dx, (nuint)i);
        public void Step1(int i) => Unsafe.Add(ref dx, i) = Unsafe.Add(ref dy, i) - T.Exp(Unsafe.Add(ref y, i)) * s;
    }
}
