using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>max(x, 0) (torch.relu); relu(NaN) = NaN. The gradient passes where the output is not ≤ 0, which is
/// PyTorch's rule (threshold_backward): 0 at x ≤ 0, including the kink at 0, and passed through for NaN; one
/// pass over the saved output, the rule the fused activation kernels use (<see cref="Activation"/>).</summary>
internal static class Relu
{
    public static Tensor Forward(Tensor x)
    {
        var y = Unary.Compute<ReluOp>(x, "relu");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y));
        return y;
    }

    sealed class Backward(Tensor x, Tensor y) : GradFn(x)
    {
        SavedTensor savedY = new(y);

        // threshold_backward tests the output; y ≤ 0 exactly where x ≤ 0, and y is NaN where x is.
        protected internal override Tensor?[] Apply(Tensor grad) => [ActivationBackward.Compute<ReluActivationOp>(savedY.Get(), grad)];

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
