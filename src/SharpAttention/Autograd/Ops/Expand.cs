using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Broadcasts size-1 (or missing leading) dimensions to a larger shape with stride 0, without copying
/// (torch.expand / broadcast_to); the gradient is summed back over the broadcast dimensions.</summary>
internal static class Expand
{
    public static Tensor Forward(Tensor x, ReadOnlySpan<int> sizes)
    {
        int nd = sizes.Length, lead = nd - x.Dim;
        if (lead < 0)
            throw new ArgumentException($"expand: the number of sizes ({nd}) must be at least the tensor's dimensions, shape {ShapeUtil.Format(x.Shape)}");
        var shape = new int[nd];
        var strides = new int[nd];
        for (int i = 0; i < nd; i++)
        {
            int want = sizes[i];
            if (i < lead)
            {
                if (want < 0)
                    throw new ArgumentException(
                        $"expand: the expanded size of the tensor ({want}) isn't allowed in a leading, non-existing dimension {i}; " +
                        $"target sizes {ShapeUtil.Format(sizes)}, tensor sizes {ShapeUtil.Format(x.Shape)}");
                shape[i] = want;
                continue;
            }
            int have = x.Shape[i - lead];
            if (want < -1)
                throw new ArgumentException(
                    $"expand: the expanded size of the tensor ({want}) must be non-negative, or -1 to keep the existing size, at dimension {i}; " +
                    $"target sizes {ShapeUtil.Format(sizes)}, tensor sizes {ShapeUtil.Format(x.Shape)}");
            if (want == -1) want = have;
            if (have == want)
            {
                shape[i] = have;
                strides[i] = x.Strides[i - lead];
            }
            else if (have == 1) shape[i] = want;
            else
                throw new ArgumentException(
                    $"expand: the expanded size of the tensor ({want}) must match the existing size ({have}) at non-singleton dimension {i}; " +
                    $"target sizes {ShapeUtil.Format(sizes)}, tensor sizes {ShapeUtil.Format(x.Shape)}");
        }
        ShapeUtil.CheckedNumEl(shape, "expand");
        var y = new Tensor(x.Storage, x.Offset, shape, strides);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x));
        return y;
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        readonly int[] inputShape = x.ShapeArray;
        protected internal override Tensor?[] Apply(Tensor grad) => [grad.SumToShape(inputShape)];
    }
}
