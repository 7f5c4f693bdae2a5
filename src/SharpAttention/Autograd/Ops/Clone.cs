using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>A contiguous copy with its own storage (torch.clone, and contiguous() of a strided view);
/// the gradient passes through unchanged.</summary>
internal static class Clone
{
    public static Tensor Forward(Tensor x)
    {
        var y = x.CopyRaw();
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad) => [grad];
    }
}
