using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Softmax along one dim (torch.softmax) with the max-subtracted row kernel; the dim is moved last (a copy
/// unless it already is) and the result returned contiguous. Backward: dx = y ∘ (dy − Σ dy∘y) from the saved y.</summary>
internal static class Softmax
{
    public static Tensor Forward(Tensor x, int dim)
    {
        Unary.RequireFloat(x, "softmax");
        var layout = ReduceLayout.Dim(x.Shape, dim, keepdim: true, "softmax");
        var rows = layout.ToRows(x);
        var yRows = Tensor.Empty(rows.Shape, x.DType);
        if (x.DType == DType.Float32) SoftmaxKernel.Forward(yRows.Span<float>(), rows.Span<float>(), layout.RowLength);
        else SoftmaxKernel.Forward(yRows.Span<double>(), rows.Span<double>(), layout.RowLength);
        var y = layout.FromRows(yRows);
        // Backward reads y in row layout; when no copy was needed y shares yRows' storage, so in-place edits of y are detected.
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, yRows, layout));
        return y;
    }

    sealed class Backward(Tensor x, Tensor yRows, ReduceLayout layout) : GradFn(x)
    {
        SavedTensor savedY = new(yRows);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var y = savedY.Get();
            var dy = layout.ToRows(grad);
            var dx = Tensor.Empty(y.Shape, y.DType);
            if (y.DType == DType.Float32) SoftmaxKernel.Backward(dx.Span<float>(), dy.Span<float>(), y.Span<float>(), layout.RowLength);
            else SoftmaxKernel.Backward(dx.Span<double>(), dy.Span<double>(), y.Span<double>(), layout.RowLength);
            return [layout.FromRows(dx)];
        }

        protected override void ReleaseSaved() => savedY.Clear();
    }
}
