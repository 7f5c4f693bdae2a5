using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Row lookup weight[ids] (torch.nn.functional.embedding): Int64 ids of any shape and weight (V, D) give (..., D).
/// Backward accumulates each gradient row into its id's row of dWeight; the padding_idx row gets no gradient
/// (its forward output is still the stored row, as in PyTorch).
/// </summary>
internal static class Embedding
{
    /// <param name="ids">(...) Int64 in [0, V)</param>
    /// <param name="weight">(V, D)</param>
    /// <param name="paddingIdx">row that gets no gradient; negative counts from the end</param>
    public static Tensor Forward(Tensor ids, Tensor weight, int? paddingIdx)
    {
        if (ids.DType != DType.Int64)
            throw new ArgumentException($"embedding: ids must be int64, got {ids.DType.TorchName()} of shape {ShapeUtil.Format(ids.Shape)}");
        Unary.RequireFloat(weight, "embedding");
        if (weight.Dim != 2)
            throw new ArgumentException($"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {ShapeUtil.Format(weight.Shape)}");
        int vocab = weight.Shape[0], dimD = weight.Shape[1];
        long padding = -1;
        if (paddingIdx is int p)
        {
            if (p < -vocab || p >= vocab)
                throw new ArgumentException($"embedding: padding_idx {p} is out of range for a vocabulary of size {vocab}");
            padding = p < 0 ? p + vocab : p;
        }
        var idc = ids.Contiguous();
        var span = idc.Span<long>();
        int bad = Indexing.FirstOutOfRange(span, vocab);
        if (bad >= 0)
            throw new IndexOutOfRangeException($"embedding: id {span[bad]} is out of range for a vocabulary of size {vocab}");

        var y = Tensor.Empty([.. ids.Shape, dimD], weight.DType);  // (..., D)
        var w = weight.Detach().Contiguous();
        if (weight.DType == DType.Float32) Indexing.SelectRows<float>(w.Span<float>(), 1, vocab, dimD, span, y.Span<float>());
        else Indexing.SelectRows<double>(w.Span<double>(), 1, vocab, dimD, span, y.Span<double>());
        if (Graph.NeedsGrad(weight)) y.SetGradFn(new Backward(weight, idc, padding));
        return y;
    }

    sealed class Backward(Tensor weight, Tensor ids, long padding) : GradFn(weight)
    {
        readonly int[] weightShape = weight.ShapeArray;
        SavedTensor savedIds = new(ids);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var ids = savedIds.Get().Span<long>();
            var dw = Tensor.Zeros(weightShape, grad.DType);  // (V, D)
            var g = grad.Contiguous();                        // (..., D)
            if (grad.DType == DType.Float32) Indexing.AddRows<float>(g.Span<float>(), 1, weightShape[0], weightShape[1], ids, dw.Span<float>(), padding);
            else Indexing.AddRows<double>(g.Span<double>(), 1, weightShape[0], weightShape[1], ids, dw.Span<double>(), padding);
            return [dw];
        }

        protected override void ReleaseSaved() => savedIds.Clear();
    }
}
