using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels.Simd;

/// <summary>An elementwise unary operator over contiguous spans. Implementations use TensorPrimitives where it
/// has the function (vectorised for float and double) and a scalar loop otherwise.</summary>
internal interface IUnaryOp
{
    static abstract void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct NegOp : IUnaryOp
{
    public static void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, y);
}
