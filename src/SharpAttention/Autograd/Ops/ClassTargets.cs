using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Shape and target rules shared by the class-index losses (cross_entropy, nll_loss), as in PyTorch: input (N, C)
/// with target (N), input (N, C, d1, ..., dk) with target (N, d1, ..., dk) — the class dimension is 1 — or input (C)
/// with a 0-d target. Kernels see a (rows, C) row-major layout; for k ≥ 1 extra dims the class dim is moved last.
/// </summary>
internal static class ClassTargets
{
    /// <summary>Checks dtypes and shapes and returns the class count C.</summary>
    public static int Check(Tensor input, Tensor target, Tensor? weight, string op)
    {
        Unary.RequireFloat(input, op);
        if (input.Dim == 0)
            throw new ArgumentException($"{op}: input must have a class dimension, got a 0-d tensor");
        if (target.DType != DType.Int64)
            throw new ArgumentException(
                $"{op}: expected a target of class indices (int64), got {target.DType.TorchName()} of shape {ShapeUtil.Format(target.Shape)}; class-probability targets are not supported");
        var expected = TargetShape(input.Shape);
        if (!ShapeUtil.SameShape(expected, target.Shape))
            throw new ArgumentException(
                $"{op}: input of shape {ShapeUtil.Format(input.Shape)} and target of shape {ShapeUtil.Format(target.Shape)} do not match: " +
                $"expected target of shape {ShapeUtil.Format(expected)} (the class dimension is 1)");
        int classes = input.Dim == 1 ? input.Shape[0] : input.Shape[1];
        if (weight != null)
        {
            if (!weight.DType.IsFloatingPoint() || weight.Dim != 1 || weight.Shape[0] != classes)
                throw new ArgumentException(
                    $"{op}: weight must be a floating point tensor of shape ({classes},) for input of shape {ShapeUtil.Format(input.Shape)}, " +
                    $"got {weight.DType.TorchName()} of shape {ShapeUtil.Format(weight.Shape)}");
            if (GradMode.IsEnabled && weight.RequiresGrad)
                throw new ArgumentException($"{op}: the gradient with respect to weight is not supported; pass weight.Detach()");
        }
        return classes;
    }

    /// <summary>Input shape without the class dimension: (N, C, d...) → (N, d...), (C) → ().</summary>
    static int[] TargetShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length == 1) return [];
        var s = new int[inputShape.Length - 1];
        s[0] = inputShape[0];
        inputShape[2..].CopyTo(s.AsSpan(1));
        return s;
    }

    /// <summary>The targets, contiguous, after checking each is in [0, C) or equal to ignoreIndex.</summary>
    public static Tensor Targets(Tensor target, int classes, long ignoreIndex, string op)
    {
        var t = target.IsContiguous ? target : target.CopyRaw();
        var span = t.Span<long>();
        for (int i = 0; i < span.Length; i++)
        {
            long v = span[i];
            if (v != ignoreIndex && (v < 0 || v >= classes))
                throw new ArgumentException(
                    $"{op}: target {v} at index {IndexOf(i, target.Shape)} is out of bounds for {classes} classes " +
                    $"(expected 0 <= target < {classes}, or ignore_index {ignoreIndex})");
        }
        return t;
    }

    static string IndexOf(int flat, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(",", index) + "]";
    }

    /// <summary>The class weights converted to <paramref name="dtype"/>, contiguous, or null.</summary>
    public static Tensor? Weight(Tensor? weight, DType dtype)
    {
        if (weight == null) return null;
        var w = weight.Detach().To(dtype);
        return w.IsContiguous ? w : w.CopyRaw();
    }

    /// <summary>Σ w_t over targets that are not ignored (their count without weights): the Mean denominator.</summary>
    public static double Denominator(Tensor target, long ignoreIndex, Tensor? weight)
    {
        double total = 0;
        foreach (long t in target.Span<long>())
        {
            if (t == ignoreIndex) continue;
            total += weight == null ? 1 : weight.DType == DType.Float32 ? weight.Span<float>()[(int)t] : weight.Span<double>()[(int)t];
        }
        return total;
    }

    /// <summary>The input as contiguous (rows, C) data: itself when it already is, else the class dim moved last.</summary>
    public static Tensor ToRows(Tensor input)
    {
        if (input.Dim <= 2) return input.IsContiguous ? input : input.CopyRaw();
        return input.Detach().Permute(RowsPermutation(input.Dim)).CopyRaw();   // (N, d1, ..., dk, C)
    }

    /// <summary>Shape of the rows layout of an input of <paramref name="inputShape"/>.</summary>
    public static int[] RowsShape(int[] inputShape)
    {
        if (inputShape.Length <= 2) return inputShape;
        var perm = RowsPermutation(inputShape.Length);
        return Array.ConvertAll(perm, p => inputShape[p]);
    }

    /// <summary>A gradient in rows layout put back into the input's layout (N, C, d1, ..., dk).</summary>
    public static Tensor FromRows(Tensor rows, int[] inputShape)
    {
        if (inputShape.Length <= 2) return rows;
        int n = inputShape.Length;
        var inverse = new int[n];
        inverse[0] = 0;
        inverse[1] = n - 1;
        for (int d = 2; d < n; d++) inverse[d] = d - 1;
        return rows.Permute(inverse).CopyRaw();
    }

    // (N, C, d1, ..., dk) → (N, d1, ..., dk, C)
    static int[] RowsPermutation(int ndim)
    {
        var perm = new int[ndim];
        for (int d = 1; d < ndim - 1; d++) perm[d] = d + 1;
        perm[ndim - 1] = 1;
        return perm;
    }
}
