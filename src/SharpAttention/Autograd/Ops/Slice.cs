using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Elements start, start+step, ... below end along one dimension, as a view (x[..., start:end:step], torch.narrow);
/// the gradient is written into the same slice of a zero tensor.</summary>
internal static class Slice
{
    public static Tensor Forward(Tensor x, int dim, int start, int end, int step)
    {
        if (x.Dim == 0) throw new ArgumentException("slice: slice() cannot be applied to a 0-dim tensor");
        dim = ShapeUtil.WrapDim(dim, x.Dim, "slice");
        if (step <= 0) throw new ArgumentException($"slice: step must be positive, got {step}");
        int size = x.Shape[dim];
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size);
        end = Math.Clamp(end, start, size);
        var shape = x.ShapeArray.ToArray();
        var strides = x.StrideArray.ToArray();
        // In long: end - start + step - 1 passes int.MaxValue for a large step.
        shape[dim] = (int)(((long)end - start + step - 1) / step);
        // With two or more elements the stepped stride stays inside the storage; with fewer it is never used and
        // could overflow, so it keeps the input's stride.
        strides[dim] = shape[dim] > 1 ? x.Strides[dim] * step : x.Strides[dim];
        int offset = x.Offset + (shape[dim] == 0 ? 0 : start * x.Strides[dim]);
        var y = new Tensor(x.Storage, offset, shape, strides);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, dim, start, end, step));
        return y;
    }

    sealed class Backward(Tensor x, int dim, int start, int end, int step) : GradFn(x)
    {
        readonly int[] inputShape = x.ShapeArray;
        readonly DType dtype = x.DType;

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var dx = Tensor.Zeros(inputShape, dtype);
            Forward(dx, dim, start, end, step).CopyFrom_(grad);
            return [dx];
        }

        protected internal override bool AddsIntoInput => true;

        protected internal override Tensor AddInto(Tensor? inputGrad, Tensor grad)
        {
            inputGrad ??= Tensor.Zeros(inputShape, dtype);
            int last = inputShape.Length - 1;
            if (dim == last && step == 1 && inputGrad.DType == DType.Float32 && grad.DType == DType.Float32 && inputGrad.IsContiguous && grad.IsContiguous)
            {
                // A column slice of contiguous rows (q, k, v of a packed projection): row by row.
                var into = inputGrad.Span<float>();
                var from = grad.Span<float>();
                int width = inputShape[last], n = end - start;
                for (int r = 0, rows = n == 0 ? 0 : from.Length / n; r < rows; r++)
                {
                    var row = into.Slice(r * width + start, n);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, from.Slice(r * n, n), row);
                }
                inputGrad.BumpVersion();
                return inputGrad;
            }
            Forward(inputGrad, dim, start, end, step).Add_(grad);
            return inputGrad;
        }
    }
}
