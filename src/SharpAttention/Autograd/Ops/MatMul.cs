using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Matrix product with torch.matmul's rules: 1-D·1-D is a dot product (0-d result); a 1-D left operand gets a
/// leading 1 (a row) and a 1-D right operand a trailing 1 (a column), removed again from the result; dims before
/// the last two are batch dims and broadcast. For C = A·B: dA = dC·Bᵀ and dB = Aᵀ·dC, summed over the batch
/// dims A or B was broadcast along. Transposes are views the GEMM reads with its transpose flags, never copies.
/// </summary>
internal static class MatMul
{
    public static Tensor Forward(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dim == 0 || b.Dim == 0)
            throw new ArgumentException(
                $"matmul: both arguments need at least 1 dimension, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        Unary.RequireFloat(a, "matmul");
        Unary.RequireFloat(b, "matmul");
        if (a.DType != b.DType)
            throw new ArgumentException(
                $"matmul: {ShapeUtil.Format(a.Shape)} @ {ShapeUtil.Format(b.Shape)}: expected both tensors to have the same dtype, got {a.DType.TorchName()} and {b.DType.TorchName()}");
        int ka = a.Shape[^1], kb = b.Dim == 1 ? b.Shape[0] : b.Shape[^2];
        if (ka != kb)
            throw new ArgumentException(
                $"matmul: {ShapeUtil.Format(a.Shape)} @ {ShapeUtil.Format(b.Shape)}: inner dimensions {ka} and {kb} differ");

        var a2 = a.Dim == 1 ? a.Unsqueeze(0) : a;  // (1, k)
        var b2 = b.Dim == 1 ? b.Unsqueeze(1) : b;  // (k, 1)
        var y = BatchedMatMul.Compute(a2, b2, BatchShape(a2, b2, a, b));
        if (Graph.NeedsGrad(a2, b2)) y.SetGradFn(new Backward(a2, b2));

        if (b.Dim == 1) y = y.Squeeze(-1);
        if (a.Dim == 1) y = y.Squeeze(b.Dim == 1 ? -1 : -2);
        return y;
    }

    /// <summary>Broadcast of a's and b's batch dims (all but the last two), or an error naming both full shapes.</summary>
    static int[] BatchShape(Tensor a, Tensor b, Tensor userA, Tensor userB)
    {
        var ba = a.Shape[..^2];
        var bb = b.Shape[..^2];
        int nd = Math.Max(ba.Length, bb.Length);
        var shape = new int[nd];
        for (int i = 0; i < nd; i++)
        {
            int da = i < nd - ba.Length ? 1 : ba[i - (nd - ba.Length)];
            int db = i < nd - bb.Length ? 1 : bb[i - (nd - bb.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"matmul: {ShapeUtil.Format(userA.Shape)} @ {ShapeUtil.Format(userB.Shape)}: batch dimensions " +
                    $"{ShapeUtil.Format(ba)} and {ShapeUtil.Format(bb)} cannot be broadcast (size {da} and size {db})");
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    /// <param name="a">(..., m, k)</param>
    /// <param name="b">(..., k, n)</param>
    sealed class Backward(Tensor a, Tensor b) : GradFn(a, b)
    {
        SavedTensor savedA = new(a), savedB = new(b);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var a = savedA.Get();
            var b = savedB.Get();
            var batch = grad.Shape[..^2];
            return [NeedsGrad(0) ? GradA(grad, b, a.ShapeArray, batch) : null, NeedsGrad(1) ? GradB(grad, a, b, batch) : null];
        }

        /// <summary>dA = dC·Bᵀ  (..., m, n)·(..., n, k), summed to A's shape.</summary>
        static Tensor GradA(Tensor grad, Tensor b, int[] aShape, ReadOnlySpan<int> batch) =>
            BatchedMatMul.Compute(grad, b.Transpose(-2, -1), batch).SumToShape(aShape);

        /// <summary>dB = Aᵀ·dC  (..., k, m)·(..., m, n), summed to B's shape.</summary>
        static Tensor GradB(Tensor grad, Tensor a, Tensor b, ReadOnlySpan<int> batch)
        {
            int k = a.Shape[^1], n = grad.Shape[^1];
            if (BatchedMatMul.BatchCount(b) > 1 || batch.Length == 0)
                return BatchedMatMul.Compute(a.Transpose(-2, -1), grad, batch).SumToShape(b.ShapeArray);
            // One B used by every batch: Σ_batch Aᵀ·dC is one GEMM over all rows, (k, rows)·(rows, n).
            int rows = checked((int)ShapeUtil.NumEl(grad.Shape[..^1]));
            var a2 = a.Expand([.. batch, a.Shape[^2], k]).Reshape(rows, k);
            var g2 = grad.Reshape(rows, n);
            return BatchedMatMul.Compute(a2.Transpose(0, 1), g2, []).Reshape(b.ShapeArray);
        }

        protected override void ReleaseSaved()
        {
            savedA.Clear();
            savedB.Clear();
        }
    }
}
