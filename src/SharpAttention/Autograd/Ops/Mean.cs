using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Arithmetic mean over a set of dims (torch.mean); an empty dims list averages everything, and the mean
/// of no elements is NaN as in torch. The gradient is the output gradient / N broadcast back over the reduced dims.</summary>
internal static class Mean
{
    public static Tensor Forward(Tensor x, int[] dims, bool keepdim)
    {
        Unary.RequireFloat(x, "mean");
        var layout = ReduceLayout.Create(x.Shape, dims, keepdim, "mean");
        var rows = layout.ToRows(x);
        var y = Tensor.Empty(layout.OutputShape, x.DType);
        if (x.DType == DType.Float32) ReduceKernel.MeanRows(y.Span<float>(), rows.Span<float>(), layout.RowLength);
        else ReduceKernel.MeanRows(y.Span<double>(), rows.Span<double>(), layout.RowLength);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, layout));
        return y;
    }

    sealed class Backward(Tensor x, ReduceLayout layout) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad) => [layout.ExpandGrad(grad.Div((double)layout.RowLength))];
    }
}
