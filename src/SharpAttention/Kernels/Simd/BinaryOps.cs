using System.Numerics;
using System.Numerics.Tensors;

namespace SharpAttention.Kernels.Simd;

/// <summary>An elementwise binary operator with a scalar form and span forms (vectorised through TensorPrimitives).</summary>
internal interface IBinaryOp
{
    static abstract T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal readonly struct AddOp : IBinaryOp
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a + b;
    public static void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
    public static void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(a, b, y);
    public static void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(b, a, y);
}

internal readonly struct SubOp : IBinaryOp
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a - b;
    public static void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
    public static void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(a, b, y);
}

internal readonly struct MulOp : IBinaryOp
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a * b;
    public static void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(a, b, y);
    public static void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(b, a, y);
}

internal readonly struct DivOp : IBinaryOp
{
    public static T Invoke<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => a / b;
    public static void Invoke<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
    public static void Invoke<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
    public static void Invoke<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(a, b, y);
}
