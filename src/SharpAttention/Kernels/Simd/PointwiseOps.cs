using System.Numerics;
using System.Numerics.Tensors;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

// Elementwise math operators backed by TensorPrimitives (vectorised for float and double).
// NaN propagates through each, as in PyTorch.

internal readonly struct ExpOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, y);
}

internal readonly struct LogOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, y);
}

internal readonly struct SqrtOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, y);
}

internal readonly struct RsqrtOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.ReciprocalSqrt(x, y);
}

/// <summary>1/(1 + e^(−x)). TensorPrimitives.Sigmoid rejects empty spans, hence the guard.</summary>
internal readonly struct SigmoidOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y);
    }
}

internal readonly struct AbsOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, y);
}

/// <summary>max(x, 0); TensorPrimitives.Max returns NaN when either side is NaN, so relu(NaN) = NaN as in PyTorch.</summary>
internal readonly struct ReluOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, y);
}

/// <summary>sign(x) in {−1, 0, 1}, with 0 for NaN: the factor PyTorch's abs backward multiplies by (torch.sgn).</summary>
internal readonly struct SignOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
    }
}

/// <summary>a^b with broadcasting (torch.pow with a tensor exponent).</summary>
internal readonly struct PowOp : IBinaryOp
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => T.Pow(a, b);
    public static void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(a, b, y);
    public static void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(a, b, y);
    public static void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(a, b, y);
}

/// <summary>Elementwise kernels that take a scalar parameter; fixed chunks are shared over the thread team.</summary>
internal static class Pointwise
{
    /// <summary>y = x^p.</summary>
    public static void Pow<T>(ReadOnlySpan<T> x, T p, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, 16, new Body<T>(x, y, p, null, null));

    /// <summary>y = min(max(x, lo), hi), either bound optional. With lo &gt; hi every element becomes hi, as in
    /// torch.clamp (TensorPrimitives.Clamp would throw instead). NaN elements stay NaN.</summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T? lo, T? hi, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> =>
        ChunkedFor.For(x.Length, 2, new Body<T>(x, y, default, lo, hi, clamp: true));

    /// <summary>A chunk of pow (clamp false) or clamp.</summary>
    readonly ref struct Body<T>(ReadOnlySpan<T> x, Span<T> y, T p, T? lo, T? hi, bool clamp = false) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x;
        readonly Span<T> y = y;

        public void Run(int start, int end)
        {
            var xs = x[start..end];
            var ys = y[start..end];
            if (!clamp)
            {
                TensorPrimitives.Pow(xs, p, ys);
                return;
            }
            if (lo is { } l) TensorPrimitives.Max(xs, l, ys);
            else xs.CopyTo(ys);
            if (hi is { } h) TensorPrimitives.Min(ys, h, ys);
        }
    }
}
