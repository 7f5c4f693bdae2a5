using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>√x (torch.sqrt). d/dx = 1/(2√x), from the saved output.</summary>
internal static class Sqrt
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<SqrtOp>(x, "sqrt");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Div(savedY.Get().Mul(2.0))];

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
