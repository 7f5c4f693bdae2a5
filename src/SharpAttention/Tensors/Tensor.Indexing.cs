using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Joining, splitting and index-driven selection (torch.cat, stack, split, chunk, gather, index_select).
public sealed partial class Tensor
{
    /// <summary>Concatenates tensors along an existing dim (torch.cat): same dtype, same shape except along dim;
    /// 1-D empty tensors are skipped as in PyTorch. Differentiable.</summary>
    public static Tensor Cat(Tensor[] tensors, int dim = 0) => Ops.Cat.Forward(tensors, dim);

    /// <summary>Joins equally shaped tensors along a new dim inserted at <paramref name="dim"/> (torch.stack):
    /// n tensors of shape (A, B) stacked at dim 1 give (A, n, B).</summary>
    public static Tensor Stack(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("stack: expected a non-empty list of tensors");
        for (int i = 0; i < tensors.Length; i++)
            if (tensors[i] is null) throw new ArgumentNullException(nameof(tensors), $"stack: tensor {i} is null");
        for (int i = 1; i < tensors.Length; i++)
            if (!ShapeUtil.SameShape(tensors[i].Shape, tensors[0].Shape))
                throw new ArgumentException(
                    $"stack: expects each tensor to be equal size, but got {ShapeUtil.Format(tensors[0].Shape)} at entry 0 " +
                    $"and {ShapeUtil.Format(tensors[i].Shape)} at entry {i}");
        int d = ShapeUtil.WrapDim(dim, tensors[0].Dim + 1, "stack");
        return Cat(Array.ConvertAll(tensors, t => t.Unsqueeze(d)), d);
    }

    /// <summary>Views of consecutive pieces of <paramref name="splitSize"/> along dim, the last possibly smaller
    /// (torch.split). A size-0 dim gives one empty piece.</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = SplitDim(dim, "split");
        int size = shape[d];
        if (splitSize < 0) throw new ArgumentException($"split: split_size must be non-negative, got {splitSize}");
        if (splitSize == 0 && size != 0)
            throw new ArgumentException($"split: split_size can only be 0 if dimension size is 0, but got dimension size of {size}");
        int n = splitSize == 0 ? 1 : Math.Max(1, (size + splitSize - 1) / splitSize);
        var parts = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            int start = Math.Min(i * splitSize, size);
            parts[i] = Narrow(d, start, Math.Min(splitSize, size - start));
        }
        return parts;
    }

    /// <summary>Views of pieces with the given sizes along dim, which must sum to that dim's size (torch.split
    /// with a list).</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int d = SplitDim(dim, "split");
        long total = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"split: split sizes {ShapeUtil.Format(sizes)} contain a negative size");
            total += s;
        }
        if (total != shape[d])
            throw new ArgumentException(
                $"split: split sizes {ShapeUtil.Format(sizes)} sum to {total} but dimension {d} of shape {ShapeUtil.Format(Shape)} has size {shape[d]}");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) parts[i] = Narrow(d, start, sizes[i]);
        return parts;
    }

    /// <summary>Splits into pieces of ceil(size / chunks) along dim (torch.chunk); may return fewer than
    /// <paramref name="chunks"/> pieces. A size-0 dim gives <paramref name="chunks"/> empty pieces.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"chunk: number of chunks must be greater than 0, got {chunks}");
        int d = SplitDim(dim, "chunk");
        if (shape[d] == 0) return Split(new int[chunks], d);
        return Split((int)(((long)shape[d] + chunks - 1) / chunks), d); // in long: size + chunks - 1 may pass int.MaxValue
    }

    int SplitDim(int dim, string op)
    {
        if (Dim == 0) throw new ArgumentException($"{op}: expected a tensor with at least 1 dimension, got shape ()");
        return ShapeUtil.WrapDim(dim, Dim, op);
    }

    /// <summary>Picks elements along dim by an Int64 index of the same rank (torch.gather):
    /// for dim 0, out[i][j] = this[index[i][j]][j]. The output has the index's shape.</summary>
    public Tensor Gather(int dim, Tensor index) => Ops.Gather.Forward(this, dim, index);

    /// <summary>The slices at the positions in a 1-D Int64 index along dim, repeats allowed (torch.index_select).</summary>
    public Tensor IndexSelect(int dim, Tensor index) => Ops.IndexSelect.Forward(this, dim, index);
}
