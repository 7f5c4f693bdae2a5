using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Σ over a set of dims (torch.sum); an empty dims list sums everything. Float inputs keep their dtype;
/// Int64 and Bool inputs sum to Int64 as in torch (not differentiable). The gradient is the output gradient
/// broadcast back over the reduced dims.</summary>
internal static class Sum
{
    public static Tensor Forward(Tensor x, int[] dims, bool keepdim)
    {
        var layout = ReduceLayout.Create(x.Shape, dims, keepdim, "sum");
        if (!x.DType.IsFloatingPoint()) return SumIntegers(x, layout);
        var y = Tensor.Empty(layout.OutputShape, x.DType);
        if (layout.ReducesLeadingDims && x.IsContiguous)
        {
            // Σ over leading dims (bias and broadcast gradients): column sums of x as it lies, no transposing copy.
            if (x.DType == DType.Float32) ReduceKernel.SumColumns(y.Span<float>(), x.Span<float>());
            else ReduceKernel.SumColumns(y.Span<double>(), x.Span<double>());
        }
        else
        {
            var rows = layout.ToRows(x);
            if (x.DType == DType.Float32) ReduceKernel.SumRows(y.Span<float>(), rows.Span<float>(), layout.RowLength);
            else ReduceKernel.SumRows(y.Span<double>(), rows.Span<double>(), layout.RowLength);
        }
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, layout));
        return y;
    }

    static Tensor SumIntegers(Tensor x, ReduceLayout layout)
    {
        var rows = layout.ToRows(x.DType == DType.Int64 ? x : x.To(DType.Int64));
        var y = Tensor.Empty(layout.OutputShape, DType.Int64);
        ReduceKernel.SumRows(y.Span<long>(), rows.Span<long>(), layout.RowLength);
        return y;
    }

    sealed class Backward(Tensor x, ReduceLayout layout) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad) => [layout.ExpandGrad(grad)];
    }
}
