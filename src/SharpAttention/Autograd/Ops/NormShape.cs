using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Argument checks shared by layer_norm and rms_norm: x must end with normalized_shape, and the optional
/// affine parameters must have exactly that shape and x's dtype. Returns the row count and row length.</summary>
internal static class NormShape
{
    public static (int Rows, int N) Check(string op, Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias)
    {
        Unary.RequireFloat(x, op);
        int k = normalizedShape.Length;
        if (k == 0)
            throw new ArgumentException($"{op}: normalized_shape must have at least one dimension, got () for input of shape {ShapeUtil.Format(x.Shape)}");
        bool matches = k <= x.Dim;
        for (int i = 0; matches && i < k; i++) matches = x.Shape[x.Dim - k + i] == normalizedShape[i];
        if (!matches)
            throw new ArgumentException(
                $"{op}: input of shape {ShapeUtil.Format(x.Shape)} does not end with normalized_shape {ShapeUtil.Format(normalizedShape)} " +
                $"(expected input of shape (*,{string.Join(",", normalizedShape)}))");
        CheckParameter(op, "weight", weight, x, normalizedShape);
        CheckParameter(op, "bias", bias, x, normalizedShape);
        int rows = 1, n = 1;
        for (int i = 0; i < x.Dim - k; i++) rows *= x.Shape[i];
        foreach (int d in normalizedShape) n *= d;
        return (rows, n);
    }

    static void CheckParameter(string op, string name, Tensor? p, Tensor x, int[] normalizedShape)
    {
        if (p is null) return;
        if (!ShapeUtil.SameShape(p.Shape, normalizedShape))
            throw new ArgumentException(
                $"{op}: {name} of shape {ShapeUtil.Format(p.Shape)} does not match normalized_shape {ShapeUtil.Format(normalizedShape)}");
        if (p.DType != x.DType)
            throw new ArgumentException($"{op}: {name} has dtype {p.DType.TorchName()} but the input has {x.DType.TorchName()}");
    }

    /// <summary>t itself when contiguous, else a raw copy (not recorded: the calling op records itself).</summary>
    public static Tensor Raw(Tensor t) => t.IsContiguous ? t : t.CopyRaw();
}
