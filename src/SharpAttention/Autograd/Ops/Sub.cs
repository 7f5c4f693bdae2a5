using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>a - b with broadcasting (torch.sub). d/da = 1, d/db = -1, summed over broadcast dims.</summary>
internal static class Sub
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Binary.Promote(a, b, "sub");
        var y = Binary.Compute<SubOp>(a, b, "sub");
        if (Graph.NeedsGrad(a, b)) y.SetGradFn(new Backward(a, b));
        return y;
    }

    sealed class Backward(Tensor a, Tensor b) : GradFn(a, b)
    {
        readonly int[] aShape = a.ShapeArray, bShape = b.ShapeArray;

        protected internal override Tensor?[] Apply(Tensor grad) =>
            [NeedsGrad(0) ? grad.SumToShape(aShape) : null, NeedsGrad(1) ? grad.Neg().SumToShape(bShape) : null];
    }
}
