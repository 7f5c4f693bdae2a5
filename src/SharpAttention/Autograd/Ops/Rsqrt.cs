using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>1/√x (torch.rsqrt), exact (not the hardware estimate). d/dx = −½x^(−3/2) = −½y³ with y the output.</summary>
internal static class Rsqrt
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<RsqrtOp>(x, "rsqrt");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var y = savedY.Get();
            return [grad.Mul(y.Mul(y).Mul(y)).Mul(-0.5)];
        }

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
