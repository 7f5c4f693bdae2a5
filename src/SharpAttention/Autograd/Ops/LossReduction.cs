using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>The reduction step shared by the loss ops (PyTorch's reduction='none'|'sum'|'mean'). Sums run in double
/// so a float32 loss over millions of tokens does not drift.</summary>
internal static class LossReduction
{
    /// <summary>The per-element losses themselves (None), their sum, or their sum divided by
    /// <paramref name="denominator"/> (Mean; 0/0 gives NaN as in PyTorch), as a 0-d tensor.</summary>
    public static Tensor Reduce(Tensor losses, Reduction reduction, double denominator)
    {
        if (reduction == Reduction.None) return losses;
        double sum = 0;
        if (losses.DType == DType.Float32)
            foreach (float v in losses.Span<float>()) sum += v;
        else
            foreach (double v in losses.Span<double>()) sum += v;
        return Tensor.Scalar(reduction == Reduction.Mean ? sum / denominator : sum, losses.DType);
    }

    /// <summary>The upstream gradient of each loss element, contiguous: the gradient itself (None), or one shared
    /// value (Sum; Mean divides it by <paramref name="denominator"/>) that kernels broadcast over every element.</summary>
    public static Tensor ElementGrad(Tensor grad, Reduction reduction, double denominator)
    {
        if (reduction == Reduction.None) return grad.IsContiguous ? grad : grad.CopyRaw();
        double g = grad.ItemDouble();
        return Tensor.Scalar(reduction == Reduction.Mean ? g / denominator : g, grad.DType);
    }
}
