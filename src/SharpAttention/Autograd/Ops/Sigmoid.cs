using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Logistic sigmoid σ(x) = 1/(1 + e^(−x)) (torch.sigmoid). d/dx = y(1 − y), from the saved output.</summary>
internal static class Sigmoid
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<SigmoidOp>(x, "sigmoid");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var y = savedY.Get();
            return [grad.Mul(y).Mul(1.0 - y)];
        }

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
