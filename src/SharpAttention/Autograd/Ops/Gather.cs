using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, and likewise for other dims (torch.gather). The Int64 index has
/// x's rank and may be smaller than x in every dim but <c>dim</c>; the output has the index's shape. Any dtype.
/// Backward scatter-adds the gradient into a zero tensor of x's shape (repeated indices sum).
/// </summary>
internal static class Gather
{
    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"gather: index must be int64, got {index.DType.TorchName()}");
        if (index.Dim != x.Dim)
            throw new ArgumentException(
                $"gather: index {ShapeUtil.Format(index.Shape)} must have the same number of dimensions as input {ShapeUtil.Format(x.Shape)}");
        // A 0-d input is gathered as a 1-element vector.
        var x1 = x.Dim == 0 ? x.Detach().Reshape(1) : x.Detach();
        var idx = (x.Dim == 0 ? index.Reshape(1) : index).Contiguous();
        int d = ShapeUtil.WrapDim(dim, x1.Dim, "gather");
        for (int i = 0; i < x1.Dim; i++)
            if (i != d && idx.Shape[i] > x1.Shape[i])
                throw new ArgumentException(
                    $"gather: index {ShapeUtil.Format(index.Shape)} is larger than input {ShapeUtil.Format(x.Shape)} in dimension {i}");
        var ids = idx.Span<long>();
        int bad = Indexing.FirstOutOfRange(ids, x1.Shape[d]);
        if (bad >= 0)
            throw new IndexOutOfRangeException($"gather: index {ids[bad]} is out of bounds for dimension {d} with size {x1.Shape[d]}");

        var y = Tensor.Empty(index.Shape, x.DType);
        switch (x.DType)
        {
            case DType.Float32: Indexing.Gather<float>(x1.Storage.As<float>(), x1.Offset, x1.Strides, ids, idx.Shape, d, y.Span<float>()); break;
            case DType.Float64: Indexing.Gather<double>(x1.Storage.As<double>(), x1.Offset, x1.Strides, ids, idx.Shape, d, y.Span<double>()); break;
            case DType.Int64: Indexing.Gather<long>(x1.Storage.As<long>(), x1.Offset, x1.Strides, ids, idx.Shape, d, y.Span<long>()); break;
            default: Indexing.Gather<bool>(x1.Storage.As<bool>(), x1.Offset, x1.Strides, ids, idx.Shape, d, y.Span<bool>()); break;
        }
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, d, idx));
        return y;
    }

    sealed class Backward(Tensor x, int dim, Tensor index) : GradFn(x)
    {
        readonly int[] inputShape = x.ShapeArray;
        SavedTensor savedIndex = new(index);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var idx = savedIndex.Get();
            var dx = Tensor.Zeros(inputShape.Length == 0 ? [1] : inputShape, grad.DType);
            var g = grad.Contiguous();
            if (grad.DType == DType.Float32) Indexing.ScatterAdd<float>(g.Span<float>(), idx.Span<long>(), idx.Shape, dim, dx.Span<float>(), dx.Strides);
            else Indexing.ScatterAdd<double>(g.Span<double>(), idx.Span<long>(), idx.Shape, dim, dx.Span<double>(), dx.Strides);
            return [dx.Reshape(inputShape)];
        }

        protected override void ReleaseSaved() => savedIndex.Clear();
    }
}
