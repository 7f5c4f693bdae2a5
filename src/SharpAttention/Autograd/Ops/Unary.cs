using System.Numerics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Shared forward for elementwise unary ops: float check, contiguous input, kernel call.</summary>
internal static class Unary
{
    public static Tensor Compute<TOp>(Tensor x, string op) where TOp : IUnaryOp
    {
        RequireFloat(x, op);
        var src = x.IsContiguous ? x : x.CopyRaw();
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Elementwise.Unary<TOp, float>(src.Span<float>(), y.Span<float>(), cost: 8);
        else Elementwise.Unary<TOp, double>(src.Span<double>(), y.Span<double>(), cost: 8);
        return y;
    }

    public static void RequireFloat(Tensor x, string op)
    {
        if (!x.DType.IsFloatingPoint())
            throw new ArgumentException($"{op}: expected a floating point tensor, got {x.DType.TorchName()} of shape {ShapeUtil.Format(x.Shape)}");
    }
}
