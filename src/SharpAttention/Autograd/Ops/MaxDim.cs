using System.Numerics;
using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Largest (or, with min, smallest) value along one dim and its index (torch.max(dim) / torch.min(dim)):
/// the first occurrence wins ties and a NaN wins over numbers. Indices are Int64 and not differentiable; the
/// values' gradient goes to the chosen index only.</summary>
internal static class MaxDim
{
    public static (Tensor Values, Tensor Indices) Forward(Tensor x, int dim, bool keepdim, bool min)
    {
        string op = min ? "min" : "max";
        Unary.RequireFloat(x, op);
        var layout = ReduceLayout.Dim(x.Shape, dim, keepdim, op);
        RequireNonEmpty(layout, x, op);
        var rows = layout.ToRows(x);
        var values = Tensor.Empty(layout.OutputShape, x.DType);
        var indices = Tensor.Empty(layout.OutputShape, DType.Int64);
        if (x.DType == DType.Float32)
            ReduceKernel.MaxRows(values.Span<float>(), indices.Span<long>(), rows.Span<float>(), layout.RowLength, min);
        else
            ReduceKernel.MaxRows(values.Span<double>(), indices.Span<long>(), rows.Span<double>(), layout.RowLength, min);
        if (Graph.NeedsGrad(x)) values.SetGradFn(new Backward(x, indices, layout, min));
        return (values, indices);
    }

    /// <summary>A max/min/argmax along a dim of size 0 has no answer (torch raises too).</summary>
    internal static void RequireNonEmpty(ReduceLayout layout, Tensor x, string op)
    {
        if (layout.RowLength == 0)
            throw new ArgumentException(
                $"{op}: cannot reduce over dim {layout.LastDim} of size 0 in input of shape {ShapeUtil.Format(x.Shape)}");
    }

    sealed class Backward(Tensor x, Tensor indices, ReduceLayout layout, bool min) : GradFn(x)
    {
        readonly DType dtype = x.DType;
        SavedTensor savedIndices = new(indices);

        public override string Name => min ? "MinBackward0" : "MaxBackward0";

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var g = grad.Contiguous();
            var idx = savedIndices.Get().Contiguous().Span<long>();
            var dx = Tensor.Zeros([layout.Rows, layout.RowLength], dtype);
            if (dtype == DType.Float32) Scatter(dx.Span<float>(), g.Span<float>(), idx, layout.RowLength);
            else Scatter(dx.Span<double>(), g.Span<double>(), idx, layout.RowLength);
            return [layout.FromRows(dx)];
        }

        /// <summary>dx[r, index[r]] = g[r] over (rows, n) rows already zeroed.</summary>
        static void Scatter<T>(Span<T> dx, ReadOnlySpan<T> g, ReadOnlySpan<long> index, int n) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int r = 0; r < g.Length; r++) dx[r * n + (int)index[r]] = g[r];
        }

        protected override void ReleaseSaved() => savedIndices.Clear();
    }
}
