using System.Numerics;
using SharpAttention.Kernels.Gemm;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Affine map y = x·Wᵀ + b (torch.nn.functional.linear) as one fused op: leading dims of x are flattened into rows,
/// C is pre-filled with b and one GEMM (W read transposed, not copied) accumulates x·Wᵀ onto it.
/// Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
/// </summary>
internal static class Linear
{
    /// <param name="x">(..., in)</param>
    /// <param name="weight">(out, in)</param>
    /// <param name="bias">(out) or null</param>
    public static Tensor Forward(Tensor x, Tensor weight, Tensor? bias)
    {
        Check(x, weight, bias);
        int outF = weight.Shape[0], inF = weight.Shape[1];
        int rows = checked((int)ShapeUtil.NumEl(x.Shape[..^1]));
        var y = Tensor.Empty([.. x.Shape[..^1], outF], x.DType);   // (..., out)
        if (bias != null)
        {
            if (x.DType == DType.Float32) FillRows<float>(y, bias);
            else FillRows<double>(y, bias);
        }
        if (x.IsContiguous && weight.IsContiguous)
        {
            // The common case straight to the GEMM: no view objects (a decoding step runs dozens of small Linears).
            if (x.DType == DType.Float32) Direct<float>(x, weight, y, rows, outF, inF, bias != null);
            else Direct<double>(x, weight, y, rows, outF, inF, bias != null);
        }
        else BatchedMatMul.Into(x.Detach().Reshape(rows, inF), weight.Detach().T, y.Detach().View(rows, outF), accumulate: bias != null);
        if (Graph.NeedsGrad(x, weight, bias)) y.SetGradFn(new Backward(x, weight, bias));
        return y;
    }

    internal static void Check(Tensor x, Tensor weight, Tensor? bias)
    {
        Unary.RequireFloat(x, "linear");
        Unary.RequireFloat(weight, "linear");
        if (weight.Dim != 2)
            throw new ArgumentException($"linear: weight must be 2-D (out_features, in_features), got {ShapeUtil.Format(weight.Shape)}");
        if (x.Dim == 0)
            throw new ArgumentException($"linear: input must have at least 1 dimension, got {ShapeUtil.Format(x.Shape)}");
        if (x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException(
                $"linear: input {ShapeUtil.Format(x.Shape)} and weight {ShapeUtil.Format(weight.Shape)}: in_features {x.Shape[^1]} and {weight.Shape[1]} differ");
        if (bias != null && (bias.Dim != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException(
                $"linear: bias {ShapeUtil.Format(bias.Shape)} does not match weight {ShapeUtil.Format(weight.Shape)}: expected ({weight.Shape[0]},)");
        if (weight.DType != x.DType || (bias != null && bias.DType != x.DType))
            throw new ArgumentException(
                $"linear: input, weight and bias must share a dtype, got {x.DType.TorchName()}, {weight.DType.TorchName()}" +
                (bias != null ? $" and {bias.DType.TorchName()}" : ""));
    }

    /// <summary>y (N, out) (+)= x (N, in) · Wᵀ on the contiguous storage of all three.</summary>
    static void Direct<T>(Tensor x, Tensor weight, Tensor y, int rows, int outF, int inF, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Gemm.Run(false, true, rows, outF, inF, T.One, x.Span<T>(), Math.Max(1, inF), weight.Span<T>(), Math.Max(1, inF),
                 accumulate ? T.One : T.Zero, y.Span<T>(), Math.Max(1, outF));

    /// <summary>Copies the bias into every row of the fresh y (..., out), so the GEMM can add onto it.</summary>
    static void FillRows<T>(Tensor y, Tensor bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = bias.Detach().Contiguous().Span<T>();
        var dst = y.Span<T>();
        for (int r = 0; r + b.Length <= dst.Length && b.Length > 0; r += b.Length) b.CopyTo(dst.Slice(r, b.Length));
    }

    sealed class Backward(Tensor x, Tensor weight, Tensor? bias) : GradFn(x, weight, bias)
    {
        SavedTensor savedX = new(x), savedW = new(weight);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var w = savedW.Get();                     // (out, in)
            int outF = w.Shape[0], inF = w.Shape[1];
            int rows = checked((int)ShapeUtil.NumEl(grad.Shape[..^1]));
            var g2 = grad.Reshape(rows, outF);        // (N, out)
            Tensor? dx = null, dw = null, db = null;
            if (NeedsGrad(0))
            {
                var x = savedX.Get();
                dx = BatchedMatMul.Compute(g2, w, []).Reshape(x.ShapeArray);  // (N, out)·(out, in)
            }
            if (NeedsGrad(1))
            {
                var x2 = savedX.Get().Reshape(rows, inF);
                dw = BatchedMatMul.Compute(g2.T, x2, []);                      // (out, N)·(N, in)
            }
            if (NeedsGrad(2)) db = g2.SumToShape([outF]);
            return [dx, dw, db];
        }

        protected override void ReleaseSaved()
        {
            savedX.Clear();
            savedW.Clear();
        }
    }
}
