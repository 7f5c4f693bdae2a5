using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>xᵖ for a constant exponent (torch.pow(tensor, scalar)). d/dx = p·x^(p−1); exactly zero for p = 0,
/// as in PyTorch (so 0⁰ and NaN⁰, whose output is 1, get gradient 0 rather than NaN).</summary>
internal static class PowScalar
{
    public static Tensor Forward(Tensor x, double exponent)
    {
        Unary.RequireFloat(x, "pow");
        var src = x.IsContiguous ? x : x.CopyRaw();
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Pointwise.Pow(src.Span<float>(), (float)exponent, y.Span<float>());
        else Pointwise.Pow(src.Span<double>(), exponent, y.Span<double>());
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, exponent));
        return y;
    }

    sealed class Backward(Tensor x, double exponent) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            if (exponent == 0) return [Tensor.ZerosLike(grad)];
            return [grad.Mul(Forward(savedX.Get(), exponent - 1)).Mul(exponent)];
        }

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
