using System.Numerics;
using SharpAttention.Kernels.Losses;
using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// Cross-entropy between logits and class-index targets (torch.nn.functional.cross_entropy): a fused
/// log-softmax + NLL over the class dimension 1, with ignore_index, label smoothing and per-class weights.
/// Forward saves one logsumexp per row; backward recomputes softmax from the saved logits
/// (see <see cref="CrossEntropyKernel"/> for the formulas). The Mean reduction divides by Σ w_t over
/// non-ignored targets (their count without weights).
/// </summary>
internal static class CrossEntropy
{
    const string Op = "cross_entropy";

    public static Tensor Forward(Tensor input, Tensor target, long ignoreIndex, Reduction reduction, double labelSmoothing, Tensor? weight)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"{Op}: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}", nameof(labelSmoothing));
        int classes = ClassTargets.Check(input, target, weight, Op);
        var t = ClassTargets.Targets(target, classes, ignoreIndex, Op);   // (R) contiguous
        var w = ClassTargets.Weight(weight, input.DType);                 // (C) or null
        var rows = ClassTargets.ToRows(input);                            // (R, C)
        var loss = Tensor.Empty(target.Shape, input.DType);              // target's shape, R elements
        var lse = Tensor.Empty([t.NumEl], input.DType);                  // (R)
        if (input.DType == DType.Float32) RunForward(rows, classes, t, ignoreIndex, w, (float)labelSmoothing, loss, lse);
        else RunForward(rows, classes, t, ignoreIndex, w, labelSmoothing, loss, lse);
        double denominator = reduction == Reduction.Mean ? ClassTargets.Denominator(t, ignoreIndex, w) : 1;
        var y = LossReduction.Reduce(loss, reduction, denominator);
        if (Graph.NeedsGrad(input))
            y.SetGradFn(new Backward(input, t, ignoreIndex, w, labelSmoothing, lse, reduction, denominator, classes));
        return y;
    }

    static void RunForward<T>(Tensor rows, int classes, Tensor target, long ignoreIndex, Tensor? weight, T smoothing, Tensor loss, Tensor lse)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropyKernel.Forward(rows.Span<T>(), classes, target.Span<long>(), ignoreIndex,
            weight == null ? default : weight.Span<T>(), smoothing, loss.Span<T>(), lse.Span<T>());

    static void RunBackward<T>(Tensor rows, int classes, Tensor target, long ignoreIndex, Tensor? weight, T smoothing, Tensor lse,
        Tensor elementGrad, Tensor dRows) where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropyKernel.Backward(rows.Span<T>(), classes, target.Span<long>(), ignoreIndex,
            weight == null ? default : weight.Span<T>(), smoothing, lse.Span<T>(), elementGrad.Span<T>(), dRows.Span<T>());

    sealed class Backward(Tensor input, Tensor target, long ignoreIndex, Tensor? weight, double smoothing, Tensor lse,
        Reduction reduction, double denominator, int classes) : GradFn(input)
    {
        readonly int[] inputShape = input.ShapeArray;
        SavedTensor savedInput = new(input), savedTarget = new(target);
        SavedTensor? savedWeight = weight == null ? null : new SavedTensor(weight);
        Tensor? lse = lse;   // private to this node

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var rows = ClassTargets.ToRows(savedInput.Get());                     // (R, C)
            var target = savedTarget.Get();
            var weight = savedWeight?.Get();
            var l = lse ?? throw new InvalidOperationException("cross_entropy: saved logsumexp was already released");
            var g = LossReduction.ElementGrad(grad, reduction, denominator);      // (R) or one shared value
            var dRows = Tensor.Empty(ClassTargets.RowsShape(inputShape), rows.DType);
            if (rows.DType == DType.Float32) RunBackward(rows, classes, target, ignoreIndex, weight, (float)smoothing, l, g, dRows);
            else RunBackward(rows, classes, target, ignoreIndex, weight, smoothing, l, g, dRows);
            return [ClassTargets.FromRows(dRows, inputShape)];
        }

        protected override void ReleaseSaved()
        {
            savedInput.Clear();
            savedTarget.Clear();
            savedWeight = null;
            lse?.Storage.Release();   // private to this node
            lse = null;
        }
    }
}
