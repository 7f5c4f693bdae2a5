using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>a / b with broadcasting (torch.div). d/da = grad/b, d/db = -grad·a/b², summed over broadcast dims.</summary>
internal static class Div
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Binary.Promote(a, b, "div");
        var y = Binary.Compute<DivOp>(a, b, "div");
        if (Graph.NeedsGrad(a, b)) y.SetGradFn(new Backward(a, b));
        return y;
    }

    sealed class Backward(Tensor a, Tensor b) : GradFn(a, b)
    {
        readonly int[] aShape = a.ShapeArray, bShape = b.ShapeArray;
        SavedTensor savedA = new(a), savedB = new(b);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var b = savedB.Get();
            var gradA = grad.Div(b);
            return
            [
                NeedsGrad(0) ? gradA.SumToShape(aShape) : null,
                NeedsGrad(1) ? gradA.Mul(savedA.Get()).Div(b).Neg().SumToShape(bShape) : null,
            ];
        }

        protected override void ReleaseSaved()
        {
            savedA.Clear();
            savedB.Clear();
        }
    }
}
