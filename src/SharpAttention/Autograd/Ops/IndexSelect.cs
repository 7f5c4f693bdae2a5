using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// The slices of x at the given positions along one dim, in index order, repeats allowed (torch.index_select);
/// the output has x's shape with that dim's size replaced by the index length. Any dtype. Backward adds each
/// slice of the gradient back into a zero tensor at its source position (index_add).
/// </summary>
internal static class IndexSelect
{
    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"index_select: index must be int64, got {index.DType.TorchName()}");
        if (index.Dim > 1)
            throw new ArgumentException($"index_select: index must be 0-D or 1-D, got shape {ShapeUtil.Format(index.Shape)}");
        if (x.Dim == 0)
        {
            // A 0-d input holds one element: torch picks it with the single index 0 and returns a 0-d result.
            ShapeUtil.WrapDim(dim, 0, "index_select");
            if (index.NumEl != 1)
                throw new ArgumentException($"index_select: index to a 0-d tensor can have only 1 value, got {index.NumEl} value(s)");
            return Forward(x.Reshape(1), 0, index.Reshape(1)).Reshape();
        }
        int d = ShapeUtil.WrapDim(dim, x.Dim, "index_select");
        var idx = index.Contiguous();
        var ids = idx.Span<long>();
        int bad = Indexing.FirstOutOfRange(ids, x.Shape[d]);
        if (bad >= 0)
            throw new IndexOutOfRangeException(
                $"index_select: index {ids[bad]} is out of range for dimension {d} with size {x.Shape[d]} in shape {ShapeUtil.Format(x.Shape)}");

        var shape = x.ShapeArray.ToArray();
        shape[d] = ids.Length;
        var y = Tensor.Empty(shape, x.DType);
        var (outer, inner) = Extents(x.Shape, d);
        var src = x.Detach().Contiguous();
        switch (x.DType)
        {
            case DType.Float32: Indexing.SelectRows<float>(src.Span<float>(), outer, x.Shape[d], inner, ids, y.Span<float>()); break;
            case DType.Float64: Indexing.SelectRows<double>(src.Span<double>(), outer, x.Shape[d], inner, ids, y.Span<double>()); break;
            case DType.Int64: Indexing.SelectRows<long>(src.Span<long>(), outer, x.Shape[d], inner, ids, y.Span<long>()); break;
            default: Indexing.SelectRows<bool>(src.Span<bool>(), outer, x.Shape[d], inner, ids, y.Span<bool>()); break;
        }
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, d, idx));
        return y;
    }

    /// <summary>Products of the sizes before and after dim d.</summary>
    static (int Outer, int Inner) Extents(ReadOnlySpan<int> shape, int d) =>
        ((int)ShapeUtil.NumEl(shape[..d]), (int)ShapeUtil.NumEl(shape[(d + 1)..]));

    sealed class Backward(Tensor x, int dim, Tensor index) : GradFn(x)
    {
        readonly int[] inputShape = x.ShapeArray;
        SavedTensor savedIndex = new(index);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var ids = savedIndex.Get().Span<long>();
            var dx = Tensor.Zeros(inputShape, grad.DType);
            var g = grad.Contiguous();
            var (outer, inner) = Extents(inputShape, dim);
            if (grad.DType == DType.Float32) Indexing.AddRows<float>(g.Span<float>(), outer, inputShape[dim], inner, ids, dx.Span<float>());
            else Indexing.AddRows<double>(g.Span<double>(), outer, inputShape[dim], inner, ids, dx.Span<double>());
            return [dx];
        }

        protected override void ReleaseSaved() => savedIndex.Clear();
    }
}
