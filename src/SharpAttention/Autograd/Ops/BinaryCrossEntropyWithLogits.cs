using System.Numerics;
using SharpAttention.Kernels.Losses;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits): sigmoid and BCE fused in
/// the overflow-free form of <see cref="BceWithLogitsKernel"/>. Input and target have the same shape; both are
/// differentiable (dloss/dx = sigmoid(x) − t, dloss/dt = −x). Mean divides by the element count.
/// </summary>
internal static class BinaryCrossEntropyWithLogits
{
    const string Op = "binary_cross_entropy_with_logits";

    public static Tensor Forward(Tensor input, Tensor target, Reduction reduction)
    {
        (input, target) = Binary.Promote(input, target, Op);
        if (!ShapeUtil.SameShape(input.Shape, target.Shape))
            throw new ArgumentException(
                $"{Op}: target of shape {ShapeUtil.Format(target.Shape)} must have the same shape as input of shape {ShapeUtil.Format(input.Shape)}");
        var x = input.IsContiguous ? input : input.CopyRaw();
        var t = target.IsContiguous ? target : target.CopyRaw();
        var loss = Tensor.Empty(input.Shape, input.DType);
        if (input.DType == DType.Float32) RunForward<float>(x, t, loss);
        else RunForward<double>(x, t, loss);
        var y = LossReduction.Reduce(loss, reduction, input.NumEl);
        if (Graph.NeedsGrad(input, target)) y.SetGradFn(new Backward(input, target, reduction));
        return y;
    }

    static void RunForward<T>(Tensor x, Tensor t, Tensor loss) where T : unmanaged, IFloatingPointIeee754<T> =>
        BceWithLogitsKernel.Forward(x.Span<T>(), t.Span<T>(), loss.Span<T>());

    static void RunBackward<T>(Tensor x, Tensor t, Tensor g, Tensor? dx, Tensor? dt) where T : unmanaged, IFloatingPointIeee754<T> =>
        BceWithLogitsKernel.Backward(x.Span<T>(), t.Span<T>(), g.Span<T>(), dx == null ? default : dx.Span<T>(), dt == null ? default : dt.Span<T>());

    sealed class Backward(Tensor input, Tensor target, Reduction reduction) : GradFn(input, target)
    {
        SavedTensor savedInput = new(input), savedTarget = new(target);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var input = savedInput.Get();
            var x = input.IsContiguous ? input : input.CopyRaw();
            var target = savedTarget.Get();
            var t = target.IsContiguous ? target : target.CopyRaw();
            var g = LossReduction.ElementGrad(grad, reduction, x.NumEl);   // per element or one shared value
            var dx = NeedsGrad(0) ? Tensor.Empty(x.Shape, x.DType) : null;
            var dt = NeedsGrad(1) ? Tensor.Empty(x.Shape, x.DType) : null;
            if (x.DType == DType.Float32) RunBackward<float>(x, t, g, dx, dt);
            else RunBackward<double>(x, t, g, dx, dt);
            return [dx, dt];
        }

        protected override void ReleaseSaved()
        {
            savedInput.Clear();
            savedTarget.Clear();
        }
    }
}
