using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Hyperbolic tangent (torch.tanh). d/dx = 1 − y², from the saved output.</summary>
internal static class Tanh
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<TanhOp>(x, "tanh");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var y = savedY.Get();
            return [grad.Mul(1.0 - y.Mul(y))];
        }

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
