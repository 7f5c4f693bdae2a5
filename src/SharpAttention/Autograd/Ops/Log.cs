using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Natural logarithm (torch.log); log of a negative number is NaN, log 0 = −∞. d/dx = 1/x.</summary>
internal static class Log
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<LogOp>(x, "log");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Div(savedX.Get())];

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
