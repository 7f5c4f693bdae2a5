using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Views: new shape/strides over the same storage, no copy (Reshape copies only when a view is impossible).
public sealed partial class Tensor
{
    /// <summary>Same elements in a new shape (one -1 is inferred); needs a contiguous tensor, as torch.view does.</summary>
    public Tensor View(params int[] shape)
    {
        var s = ShapeUtil.InferSize(shape, NumEl, "view", Shape);
        if (!IsContiguous)
            throw new InvalidOperationException(
                $"view: shape {ShapeUtil.Format(Shape)} with strides {ShapeUtil.Format(Strides)} is not contiguous; use Reshape(...) or Contiguous() first");
        return Ops.View.Forward(this, s, ShapeUtil.ContiguousStrides(s));
    }

    /// <summary>Same elements in a new shape: a view when possible, else a copy (torch.reshape).</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = ShapeUtil.InferSize(shape, NumEl, "reshape", Shape);
        if (ShapeUtil.SameShape(s, Shape)) return this;
        return Contiguous().View(s);
    }

    /// <summary>Flattens dims start..end into one (torch.flatten).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        int a = ShapeUtil.WrapDim(startDim, Dim, "flatten"), b = ShapeUtil.WrapDim(endDim, Dim, "flatten");
        if (Dim == 0) return Reshape(1);
        if (a > b) throw new ArgumentException($"flatten: start_dim {startDim} comes after end_dim {endDim}");
        var s = new List<int>();
        for (int i = 0; i < a; i++) s.Add(shape[i]);
        s.Add(ShapeUtil.CheckedNumEl(Shape[a..(b + 1)], "flatten")); // can only overflow when another dim is 0
        for (int i = b + 1; i < Dim; i++) s.Add(shape[i]);
        return Reshape([.. s]);
    }

    public Tensor Permute(params int[] dims) => Ops.Permute.Forward(this, dims);

    /// <summary>Swaps two dimensions (torch.transpose).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = ShapeUtil.WrapDim(dim0, Dim, "transpose"), b = ShapeUtil.WrapDim(dim1, Dim, "transpose");
        if (Dim == 0) return this;
        var order = new int[Dim];
        for (int i = 0; i < Dim; i++) order[i] = i;
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>Transpose of a matrix (2-D) or of the last two dims (PyTorch's .mT for batched matrices).</summary>
    public Tensor T => Dim < 2 ? this : Transpose(-2, -1);

    /// <summary>length elements from start along dim (torch.narrow); start may be negative (from the end) or equal
    /// to the size (with length 0).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        if (Dim == 0) throw new ArgumentException("narrow: narrow() cannot be applied to a 0-dim tensor");
        int d = ShapeUtil.WrapDim(dim, Dim, "narrow");
        int size = shape[d];
        if (start < -size || start > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"narrow: start {start} is out of range for dimension {d} of size {size} (expected to be in range of [{-size}, {size}]) in shape {ShapeUtil.Format(Shape)}");
        if (start < 0) start += size;
        if (length < 0 || (long)start + length > size)
            throw new ArgumentOutOfRangeException(nameof(length),
                $"narrow: start ({start}) + length ({length}) exceeds dimension {d} of size {size} in shape {ShapeUtil.Format(Shape)}");
        return Ops.Slice.Forward(this, d, start, start + length, 1);
    }

    /// <summary>x[..., start:end:step, ...] along dim; bounds are clamped as in Python slicing.</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1) => Ops.Slice.Forward(this, dim, start, end, step);

    /// <summary>The sub-tensor at index along dim, with that dim removed (torch.select, x[i]).</summary>
    public Tensor Select(int dim, int index)
    {
        if (Dim == 0) throw new ArgumentException("select: select() cannot be applied to a 0-dim tensor");
        int d = ShapeUtil.WrapDim(dim, Dim, "select");
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d])
            throw new IndexOutOfRangeException($"select: index {index} is out of bounds for dimension {d} with size {shape[d]}");
        return Narrow(d, i, 1).Squeeze(d);
    }

    /// <summary>Broadcast view to a larger shape; -1 keeps a size (torch.expand).</summary>
    public Tensor Expand(params int[] sizes) => Ops.Expand.Forward(this, sizes);

    public Tensor BroadcastTo(params int[] shape) => ShapeUtil.SameShape(shape, Shape) ? this : Expand(shape);

    public Tensor ExpandAs(Tensor other) => BroadcastTo(other.ShapeArray);

    /// <summary>Inserts a size-1 dimension at dim (torch.unsqueeze).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = ShapeUtil.WrapDim(dim, Dim + 1, "unsqueeze");
        var s = new int[Dim + 1];
        var st = new int[Dim + 1];
        for (int i = 0, j = 0; i <= Dim; i++)
        {
            if (i == d)
            {
                s[i] = 1;
                st[i] = d < Dim ? strides[d] * shape[d] : 1;
                continue;
            }
            s[i] = shape[j];
            st[i] = strides[j++];
        }
        return Ops.View.Forward(this, s, st);
    }

    /// <summary>Removes every size-1 dimension (torch.squeeze).</summary>
    public Tensor Squeeze()
    {
        var s = new List<int>();
        var st = new List<int>();
        for (int i = 0; i < Dim; i++)
            if (shape[i] != 1)
            {
                s.Add(shape[i]);
                st.Add(strides[i]);
            }
        return s.Count == Dim ? this : Ops.View.Forward(this, [.. s], [.. st]);
    }

    /// <summary>Removes dim if its size is 1, else returns the tensor unchanged (torch.squeeze(dim)).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = ShapeUtil.WrapDim(dim, Dim, "squeeze");
        if (Dim == 0 || shape[d] != 1) return this;
        var s = new int[Dim - 1];
        var st = new int[Dim - 1];
        for (int i = 0, j = 0; i < Dim; i++)
            if (i != d)
            {
                s[j] = shape[i];
                st[j++] = strides[i];
            }
        return Ops.View.Forward(this, s, st);
    }

    /// <summary>Sums a gradient of a broadcast result back to the shape of the broadcast input (no autograd):
    /// through the reduction kernel, whose blocked, double-accumulated sums keep large broadcasts accurate.</summary>
    internal Tensor SumToShape(ReadOnlySpan<int> target)
    {
        if (ShapeUtil.SameShape(target, Shape)) return this;
        int lead = Dim - target.Length;
        if (lead < 0)
            throw new ArgumentException($"sum_to_size: shape {ShapeUtil.Format(Shape)} is not expandable from {ShapeUtil.Format(target)}");
        var dims = new List<int>();
        for (int i = 0; i < Dim; i++)
        {
            if (i < lead) dims.Add(i);
            else if (target[i - lead] != shape[i])
            {
                if (target[i - lead] != 1)
                    throw new ArgumentException($"sum_to_size: shape {ShapeUtil.Format(Shape)} is not expandable from {ShapeUtil.Format(target)}");
                dims.Add(i);
            }
        }
        var summed = dims.Count == 0 ? this : Sum([.. dims], keepdim: true);
        return summed.Reshape(target.ToArray());
    }
}
