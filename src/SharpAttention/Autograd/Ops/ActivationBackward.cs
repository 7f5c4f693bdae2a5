using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Shared backward for fused activations: dx = grad·f′(x) in one pass over the saved input.</summary>
internal static class ActivationBackward
{
    public static Tensor Compute<TOp>(Tensor x, Tensor grad) where TOp : IActivationOp
    {
        var xc = x.IsContiguous ? x : x.CopyRaw();
        var g = grad.DType == x.DType ? grad : grad.To(x.DType);
        if (!g.IsContiguous) g = g.CopyRaw();
        var dx = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Elementwise.ActivationBackward<TOp, float>(xc.Span<float>(), g.Span<float>(), dx.Span<float>());
        else Elementwise.ActivationBackward<TOp, double>(xc.Span<double>(), g.Span<double>(), dx.Span<double>());
        return dx;
    }
}
