using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Concatenation along one dim (torch.cat): all tensors share dtype, rank and every size except along dim. As in
/// PyTorch, 1-D empty tensors (shape (0,)) are skipped so they can seed a running concatenation. Any dtype;
/// the gradient of each input is its slice (Narrow) of the output gradient.
/// </summary>
internal static class Cat
{
    public static Tensor Forward(Tensor[] tensors, int dim)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("cat: expected a non-empty list of tensors");
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"cat: tensor {i} is null");
        bool allLegacyEmpty = tensors.All(IsLegacyEmpty);
        // The first tensor that takes part sets the rank, dtype and shape the others must match.
        int firstIndex = allLegacyEmpty ? 0 : Array.FindIndex(tensors, t => !IsLegacyEmpty(t));
        var first = tensors[firstIndex];
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i].Dim == 0)
                throw new ArgumentException($"cat: zero-dimensional tensor (at position {i}) cannot be concatenated");
        int d = ShapeUtil.WrapDim(dim, first.Dim, "cat");

        var shape = first.ShapeArray.ToArray();
        shape[d] = 0;
        var sizes = new int[tensors.Length];  // extent of each input along d; -1 for skipped inputs
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            if (t.DType != first.DType)
                throw new ArgumentException($"cat: expected all tensors to have dtype {first.DType.TorchName()}, got {t.DType.TorchName()} for tensor {i}");
            if (!allLegacyEmpty && IsLegacyEmpty(t))
            {
                sizes[i] = -1;
                continue;
            }
            if (!SameExcept(t.Shape, first.Shape, d))
                throw new ArgumentException(
                    $"cat: tensors must have the same shape except in dimension {d}, but tensor {firstIndex} has shape " +
                    $"{ShapeUtil.Format(first.Shape)} and tensor {i} has shape {ShapeUtil.Format(t.Shape)}");
            sizes[i] = t.Shape[d];
            if ((long)shape[d] + t.Shape[d] > int.MaxValue)
                throw new ArgumentException(
                    $"cat: the concatenated size along dimension {d} exceeds {int.MaxValue} at tensor {i} of shape {ShapeUtil.Format(t.Shape)}");
            shape[d] += t.Shape[d];
        }

        var y = Tensor.Empty(shape, first.DType);
        var target = y.Detach();
        for (int i = 0, offset = 0; i < tensors.Length; i++)
        {
            if (sizes[i] <= 0) continue;
            CopyInto(tensors[i], target.Narrow(d, offset, sizes[i]));
            offset += sizes[i];
        }
        if (Graph.NeedsGrad(tensors)) y.SetGradFn(new Backward([.. tensors], d, sizes));
        return y;
    }

    static bool IsLegacyEmpty(Tensor t) => t.Dim == 1 && t.NumEl == 0;

    static bool SameExcept(ReadOnlySpan<int> a, ReadOnlySpan<int> b, int d)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (i != d && a[i] != b[i]) return false;
        return true;
    }

    /// <summary>Copies src's elements into the view dst of the same shape and dtype.</summary>
    static void CopyInto(Tensor src, Tensor dst)
    {
        switch (src.DType)
        {
            case DType.Float32: Strided.Copy(src.Storage.As<float>(), src.Offset, src.Strides, dst.Storage.As<float>(), dst.Offset, dst.Strides, src.Shape); break;
            case DType.Float64: Strided.Copy(src.Storage.As<double>(), src.Offset, src.Strides, dst.Storage.As<double>(), dst.Offset, dst.Strides, src.Shape); break;
            case DType.Int64: Strided.Copy(src.Storage.As<long>(), src.Offset, src.Strides, dst.Storage.As<long>(), dst.Offset, dst.Strides, src.Shape); break;
            default: Strided.Copy(src.Storage.As<bool>(), src.Offset, src.Strides, dst.Storage.As<bool>(), dst.Offset, dst.Strides, src.Shape); break;
        }
    }

    sealed class Backward(Tensor[] inputs, int dim, int[] sizes) : GradFn(inputs)
    {
        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var grads = new Tensor?[sizes.Length];
            for (int i = 0, offset = 0; i < sizes.Length; i++)
            {
                if (sizes[i] < 0)
                {
                    if (NeedsGrad(i)) grads[i] = Tensor.Zeros([0], grad.DType);
                    continue;
                }
                if (NeedsGrad(i)) grads[i] = grad.Narrow(dim, offset, sizes[i]);
                offset += sizes[i];
            }
            return grads;
        }
    }
}
