using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>a * b with broadcasting (torch.mul). d/da = grad·b, d/db = grad·a, summed over broadcast dims.</summary>
internal static class Mul
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Binary.Promote(a, b, "mul");
        var y = Binary.Compute<MulOp>(a, b, "mul");
        if (Graph.NeedsGrad(a, b)) y.SetGradFn(new Backward(a, b));
        return y;
    }

    sealed class Backward(Tensor a, Tensor b) : GradFn(a, b)
    {
        readonly int[] aShape = a.ShapeArray, bShape = b.ShapeArray;
        SavedTensor savedA = new(a), savedB = new(b);

        protected internal override Tensor?[] Apply(Tensor grad) =>
        [
            NeedsGrad(0) ? grad.Mul(savedB.Get()).SumToShape(aShape) : null,
            NeedsGrad(1) ? grad.Mul(savedA.Get()).SumToShape(bShape) : null,
        ];

        protected override void ReleaseSaved()
        {
            savedA.Clear();
            savedB.Clear();
        }
    }
}
