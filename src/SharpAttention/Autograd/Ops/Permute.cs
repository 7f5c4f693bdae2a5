using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Reorders dimensions by permuting shape and strides (torch.permute / transpose); the gradient is
/// permuted back with the inverse permutation.</summary>
internal static class Permute
{
    public static Tensor Forward(Tensor x, ReadOnlySpan<int> dims)
    {
        int nd = x.Dim;
        if (dims.Length != nd)
            throw new ArgumentException($"permute: {dims.Length} dims given for a tensor of shape {ShapeUtil.Format(x.Shape)}");
        var order = new int[nd];
        var seen = new bool[nd];
        var shape = new int[nd];
        var strides = new int[nd];
        for (int i = 0; i < nd; i++)
        {
            int d = ShapeUtil.WrapDim(dims[i], nd, "permute");
            if (seen[d]) throw new ArgumentException($"permute: dimension {d} repeats in ({string.Join(",", dims.ToArray())})");
            seen[d] = true;
            order[i] = d;
            shape[i] = x.Shape[d];
            strides[i] = x.Strides[d];
        }
        var y = new Tensor(x.Storage, x.Offset, shape, strides);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, order));
        return y;
    }

    sealed class Backward(Tensor x, int[] order) : GradFn(x)
    {
        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var inverse = new int[order.Length];
            for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
            return [grad.Permute(inverse)];
        }
    }
}
