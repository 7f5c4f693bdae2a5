using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>-x (torch.neg). d/dx = -1.</summary>
internal static class Neg
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<NegOp>(x, "neg");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Neg()];
    }
}
