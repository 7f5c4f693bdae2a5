using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Index of the largest (or, with min, smallest) value along one dim, or in the flattened tensor when dim
/// is null (torch.argmax / argmin): same tie and NaN rules as <see cref="MaxDim"/>. Int64, not differentiable,
/// so there is no backward.</summary>
internal static class ArgMax
{
    public static Tensor Forward(Tensor x, int? dim, bool keepdim, bool min)
    {
        string op = min ? "argmin" : "argmax";
        Unary.RequireFloat(x, op);
        if (dim is null && x.NumEl == 0)
            throw new ArgumentException($"{op}: input of shape {ShapeUtil.Format(x.Shape)} has no elements; specify a dim");
        // Without a dim, torch reduces the flattened tensor; keepdim then keeps every dim as size 1.
        var layout = dim is { } d ? ReduceLayout.Dim(x.Shape, d, keepdim, op) : ReduceLayout.Create(x.Shape, [], keepdim, op);
        if (dim is not null) MaxDim.RequireNonEmpty(layout, x, op);
        var rows = layout.ToRows(x);
        var indices = Tensor.Empty(layout.OutputShape, DType.Int64);
        var values = Tensor.Empty([layout.Rows], x.DType); // the kernel finds values too; argmax drops them
        if (x.DType == DType.Float32)
            ReduceKernel.MaxRows(values.Span<float>(), indices.Span<long>(), rows.Span<float>(), layout.RowLength, min);
        else
            ReduceKernel.MaxRows(values.Span<double>(), indices.Span<long>(), rows.Span<double>(), layout.RowLength, min);
        return indices;
    }
}
