using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>|x| (torch.abs). d/dx = sign(x), taken as 0 at x = 0 and at NaN, as PyTorch does.</summary>
internal static class Abs
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<AbsOp>(x, "abs");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Mul(Unary.Compute<SignOp>(savedX.Get(), "abs"))];

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
