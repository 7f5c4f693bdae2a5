using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>max(x, 0) (torch.relu); relu(NaN) = NaN. The gradient passes where the output is not ≤ 0, which is
/// PyTorch's rule (threshold_backward): 0 at x ≤ 0, including the kink at 0, and passed through for NaN; one
/// pass over the saved output (<see cref="ReluBackwardKernel"/>).</summary>
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

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var y = savedY.Get();
            var g = grad.IsContiguous ? grad : grad.CopyRaw();
            var dx = Tensor.Empty(y.Shape, y.DType);
            if (y.DType == DType.Float32) ReluBackwardKernel.Apply(y.Span<float>(), g.Span<float>(), dx.Span<float>());
            else ReluBackwardKernel.Apply(y.Span<double>(), g.Span<double>(), dx.Span<double>());
            return [dx];
        }

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
