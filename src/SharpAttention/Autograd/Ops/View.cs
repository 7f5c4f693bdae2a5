using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Any view that keeps row-major element order (view, reshape, squeeze, unsqueeze, flatten):
/// new shape and strides over the same storage; the gradient is reshaped back.</summary>
internal static class View
{
    public static Tensor Forward(Tensor x, int[] shape, int[] strides)
    {
        var y = new Tensor(x.Storage, x.Offset, shape, strides);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        readonly int[] inputShape = x.ShapeArray;
        protected internal override Tensor?[] Apply(Tensor grad) => [grad.Reshape(inputShape)];
    }
}
