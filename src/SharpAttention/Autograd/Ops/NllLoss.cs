using System.Numerics;
using SharpAttention.Kernels.Losses;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Negative log-likelihood of class-index targets given log-probabilities (torch.nn.functional.nll_loss):
/// loss = −w_t·input[t] along the class dimension 1, with ignore_index and optional per-class weights.
/// The gradient is −w_t·grad at each target position and 0 elsewhere, so backward needs no saved input values.
/// </summary>
internal static class NllLoss
{
    const string Op = "nll_loss";

    public static Tensor Forward(Tensor input, Tensor target, long ignoreIndex, Reduction reduction, Tensor? weight)
    {
        int classes = ClassTargets.Check(input, target, weight, Op);
        var t = ClassTargets.Targets(target, classes, ignoreIndex, Op);   // (R)
        var w = ClassTargets.Weight(weight, input.DType);                 // (C) or null
        var rows = ClassTargets.ToRows(input);                            // (R, C)
        var loss = Tensor.Empty(target.Shape, input.DType);
        if (input.DType == DType.Float32)
            NllLossKernel.Forward(rows.Span<float>(), classes, t.Span<long>(), ignoreIndex, Span<float>(w), loss.Span<float>());
        else
            NllLossKernel.Forward(rows.Span<double>(), classes, t.Span<long>(), ignoreIndex, Span<double>(w), loss.Span<double>());
        double denominator = reduction == Reduction.Mean ? ClassTargets.Denominator(t, ignoreIndex, w) : 1;
        var y = LossReduction.Reduce(loss, reduction, denominator);
        if (Graph.NeedsGrad(input)) y.SetGradFn(new Backward(input, t, ignoreIndex, w, reduction, denominator, classes));
        return y;
    }

    static ReadOnlySpan<T> Span<T>(Tensor? t) => t == null ? default : t.Span<T>();

    static void RunBackward<T>(int classes, Tensor target, long ignoreIndex, Tensor? weight, Tensor elementGrad, Tensor dRows)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        NllLossKernel.Backward(classes, target.Span<long>(), ignoreIndex, Span<T>(weight), elementGrad.Span<T>(), dRows.Span<T>());

    sealed class Backward(Tensor input, Tensor target, long ignoreIndex, Tensor? weight, Reduction reduction, double denominator, int classes)
        : GradFn(input)
    {
        readonly int[] inputShape = input.ShapeArray;
        readonly DType dtype = input.DType;
        SavedTensor savedTarget = new(target);
        SavedTensor? savedWeight = weight == null ? null : new SavedTensor(weight);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var g = LossReduction.ElementGrad(grad, reduction, denominator);   // (R) or one shared value
            var dRows = Tensor.Empty(ClassTargets.RowsShape(inputShape), dtype);
            if (dtype == DType.Float32) RunBackward<float>(classes, savedTarget.Get(), ignoreIndex, savedWeight?.Get(), g, dRows);
            else RunBackward<double>(classes, savedTarget.Get(), ignoreIndex, savedWeight?.Get(), g, dRows);
            return [ClassTargets.FromRows(dRows, inputShape)];
        }

        protected override void ReleaseSaved()
        {
            savedTarget.Clear();
            savedWeight = null;
        }
    }
}
