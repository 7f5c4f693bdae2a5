using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>SiLU / swish x·σ(x) (torch.nn.functional.silu), forward and derivative as fused kernels.</summary>
internal static class Silu
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<SiluOp>(x, "silu");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad) => [ActivationBackward.Compute<SiluOp>(savedX.Get(), grad)];

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
