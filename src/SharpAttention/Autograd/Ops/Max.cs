using System.Numerics;
using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Largest (or, with min, smallest) element of the whole tensor as a 0-d tensor (torch.max() / torch.min()
/// without dim); NaN if any element is NaN. The gradient is shared evenly among every element equal to the result
/// (among the NaNs when the result is NaN), as torch 1.13 does for ties.</summary>
internal static class Max
{
    public static Tensor Forward(Tensor x, bool min)
    {
        string op = min ? "min" : "max";
        Unary.RequireFloat(x, op);
        if (x.NumEl == 0)
            throw new ArgumentException(
                $"{op}: input of shape {ShapeUtil.Format(x.Shape)} has no elements; reduce over a dim with {(min ? "Min" : "Max")}(dim) instead");
        var flat = x.IsContiguous ? x : x.CopyRaw();
        var y = Tensor.Empty([], x.DType);
        Span<long> index = stackalloc long[1];
        if (x.DType == DType.Float32) ReduceKernel.MaxRows(y.Span<float>(), index, flat.Span<float>(), x.NumEl, min);
        else ReduceKernel.MaxRows(y.Span<double>(), index, flat.Span<double>(), x.NumEl, min);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, y.ItemDouble(), min));
        return y;
    }

    sealed class Backward(Tensor x, double value, bool min) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        public override string Name => min ? "MinBackward0" : "MaxBackward0";

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var x = savedX.Get().Contiguous();
            var dx = Tensor.Empty(x.Shape, x.DType);
            if (x.DType == DType.Float32) Distribute(dx.Span<float>(), x.Span<float>(), (float)value, (float)grad.ItemDouble());
            else Distribute(dx.Span<double>(), x.Span<double>(), value, grad.ItemDouble());
            return [dx];
        }

        /// <summary>dx = g/k at the k elements equal to the extreme value (or NaN when it is NaN), 0 elsewhere.</summary>
        static void Distribute<T>(Span<T> dx, ReadOnlySpan<T> x, T value, T g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            bool nan = T.IsNaN(value);
            int count = 0;
            foreach (var v in x)
                if (nan ? T.IsNaN(v) : v == value) count++;
            T share = g / T.CreateTruncating(count);
            for (int i = 0; i < x.Length; i++) dx[i] = (nan ? T.IsNaN(x[i]) : x[i] == value) ? share : T.Zero;
        }

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
