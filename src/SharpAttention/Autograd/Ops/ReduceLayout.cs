using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>
/// The shape bookkeeping shared by reductions and row ops (sum, mean, var, max, softmax, ...): which dims are
/// reduced, the output shape with and without keepdim, and a permutation that puts the kept dims first and the
/// reduced dims last, so the work becomes <see cref="Rows"/> contiguous rows of <see cref="RowLength"/> elements
/// in the same order as the output's elements. A 0-d tensor is one row of one element.
/// </summary>
internal sealed class ReduceLayout
{
    public readonly int[] InputShape;
    /// <summary>The result's shape: kept dims only, or with size-1 dims in place of the reduced ones (keepdim).</summary>
    public readonly int[] OutputShape;
    /// <summary>The input shape with every reduced dim set to 1: the shape a gradient broadcasts back from.</summary>
    public readonly int[] KeepShape;
    /// <summary>Kept dims in order, then reduced dims in order.</summary>
    public readonly int[] Perm;
    public readonly int Rows, RowLength;
    readonly int keptDims;

    ReduceLayout(int[] inputShape, bool[] reduced, bool keepdim)
    {
        int nd = inputShape.Length;
        InputShape = inputShape;
        KeepShape = new int[nd];
        Perm = new int[nd];
        var output = new List<int>();
        int p = 0;
        Rows = 1;
        RowLength = 1;
        for (int i = 0; i < nd; i++)
        {
            KeepShape[i] = reduced[i] ? 1 : inputShape[i];
            if (reduced[i])
            {
                RowLength *= inputShape[i];
                if (keepdim) output.Add(1);
                continue;
            }
            Rows *= inputShape[i];
            output.Add(inputShape[i]);
            Perm[p++] = i;
        }
        keptDims = p;
        for (int i = 0; i < nd; i++)
            if (reduced[i]) Perm[p++] = i;
        OutputShape = [.. output];
    }

    /// <summary>Reduction over <paramref name="dims"/> (empty: every dim, as torch.sum(dim=[]) does).
    /// Negative dims count from the end; a repeated dim is an error naming the op.</summary>
    public static ReduceLayout Create(ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, bool keepdim, string op)
    {
        int nd = shape.Length;
        var reduced = new bool[nd];
        if (dims.IsEmpty) Array.Fill(reduced, true);
        bool scalarDimSeen = false; // a 0-d tensor has one reducible dim, named 0 or -1, as in torch
        foreach (int dim in dims)
        {
            int d = ShapeUtil.WrapDim(dim, nd, op);
            if (nd == 0 ? scalarDimSeen : reduced[d])
                throw new ArgumentException($"{op}: dim {d} appears multiple times in the list of dims {ShapeUtil.Format(dims)} for shape {ShapeUtil.Format(shape)}");
            if (nd == 0) scalarDimSeen = true;
            else reduced[d] = true;
        }
        return new ReduceLayout(shape.ToArray(), reduced, keepdim);
    }

    public static ReduceLayout Dim(ReadOnlySpan<int> shape, int dim, bool keepdim, string op) => Create(shape, [dim], keepdim, op);

    /// <summary>True when the reduced dims are exactly the leading ones and at least one dim is kept (the sum a
    /// broadcast gradient needs): a contiguous input then already lies as (RowLength, Rows) and its columns can be
    /// summed without the transposing copy <see cref="ToRows"/> would make.</summary>
    public bool ReducesLeadingDims
    {
        get
        {
            int reducedDims = Perm.Length - keptDims;
            if (reducedDims == 0 || keptDims == 0) return false;
            for (int j = 0; j < keptDims; j++)
                if (Perm[j] != reducedDims + j) return false;
            return true;
        }
    }

    /// <summary>The single reduced dim of a <see cref="Dim"/> layout (for messages).</summary>
    public int LastDim => Perm.Length == 0 ? 0 : Perm[^1];

    /// <summary>x laid out as contiguous (Rows, RowLength): x itself when already in that order, else a copy.
    /// Not recorded by autograd: the calling op records itself.</summary>
    public Tensor ToRows(Tensor x)
    {
        var shape = new int[Perm.Length];
        var strides = new int[Perm.Length];
        for (int i = 0; i < Perm.Length; i++)
        {
            shape[i] = x.Shape[Perm[i]];
            strides[i] = x.Strides[Perm[i]];
        }
        var view = new Tensor(x.Storage, x.Offset, shape, strides);
        return view.IsContiguous ? view : view.CopyRaw();
    }

    /// <summary>The inverse of <see cref="ToRows"/>: contiguous row data of an input-shaped result, returned as a
    /// contiguous tensor of <see cref="InputShape"/> (a copy only when the permutation is not the identity).</summary>
    public Tensor FromRows(Tensor rows)
    {
        int nd = Perm.Length;
        var permutedShape = new int[nd];
        for (int i = 0; i < nd; i++) permutedShape[i] = InputShape[Perm[i]];
        var permutedStrides = ShapeUtil.ContiguousStrides(permutedShape);
        var strides = new int[nd];
        for (int i = 0; i < nd; i++) strides[Perm[i]] = permutedStrides[i];
        var view = new Tensor(rows.Storage, rows.Offset, InputShape, strides);
        return view.IsContiguous ? view : view.CopyRaw();
    }

    /// <summary>An output-shaped gradient broadcast back over the reduced dims to the input shape (a stride-0 view).</summary>
    public Tensor ExpandGrad(Tensor grad) => grad.Reshape(KeepShape).Expand(InputShape);
}
