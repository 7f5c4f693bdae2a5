using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>aᵇ with broadcasting (torch.pow(tensor, tensor)). d/da = b·a^(b−1), d/db = aᵇ·ln a, summed over
/// broadcast dims. As in PyTorch, d/da is 0 where b = 0 and d/db is 0 where a = 0 and b ≥ 0 (there aᵇ is flat in b
/// from the right, and 0·ln 0 would otherwise give NaN).</summary>
internal static class Pow
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        (a, b) = Binary.Promote(a, b, "pow");
        var y = Binary.Compute<PowOp>(a, b, "pow");
        if (Graph.NeedsGrad(a, b)) y.SetGradFn(new Backward(a, b, y));
        return y;
    }

    sealed class Backward(Tensor a, Tensor b, Tensor y) : GradFn(a, b)
    {
        readonly int[] aShape = a.ShapeArray, bShape = b.ShapeArray;
        SavedTensor savedA = new(a), savedB = new(b), savedY = new(y);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var a = savedA.Get();
            var b = savedB.Get();
            Tensor? gradA = null, gradB = null;
            if (NeedsGrad(0))
                gradA = Tensor.Where(b.Eq(0.0), 0.0, grad.Mul(b).Mul(Forward(a, b.Sub(1.0)))).SumToShape(aShape);
            if (NeedsGrad(1))
            {
                var flat = a.Eq(0.0).LogicalAnd(b.Ge(0.0));
                gradB = Tensor.Where(flat, 0.0, grad.Mul(savedY.Get()).Mul(a.Log())).SumToShape(bShape);
            }
            return [gradA, gradB];
        }

        protected override void ReleaseSaved()
        {
            savedA.Clear();
            savedB.Clear();
            savedY.Clear();
        }
    }
}
