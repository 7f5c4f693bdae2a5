using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>eˣ (torch.exp). d/dx = eˣ, so backward reuses the saved output.</summary>
internal static class Exp
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<ExpOp>(x, "exp");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Mul(savedY.Get())];

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
