namespace SharpAttention.Tensors;

/// <summary>Shape arithmetic shared by every op: dimension wrapping, contiguous strides, broadcasting, formatting.</summary>
internal static class ShapeUtil
{
    internal static string Format(ReadOnlySpan<int> shape) =>
        "(" + string.Join(",", shape.ToArray()) + (shape.Length == 1 ? ",)" : ")");

    /// <summary>Product of the sizes, unchecked: for parts of shapes already validated by <see cref="CheckedNumEl"/>.</summary>
    internal static long NumEl(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    /// <summary>The element count of a requested shape, or throws naming the op and the shape when a size is negative
    /// or the count does not fit a tensor (int indexing: at most int.MaxValue elements; torch's int64 has more room).
    /// A shape with a size-0 dim has no elements however large its other sizes are, as in torch.</summary>
    internal static int CheckedNumEl(ReadOnlySpan<int> shape, string op)
    {
        bool empty = false;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{op}: negative dimension {d} in shape {Format(shape)}");
            if (d == 0) empty = true;
        }
        if (empty) return 0;
        long n = 1;
        foreach (int d in shape)
        {
            n *= d; // both factors <= int.MaxValue, so n stays below 2^62 until the check below trips
            if (n > int.MaxValue)
            {
                var exact = System.Numerics.BigInteger.One;
                foreach (int e in shape) exact *= e;
                throw new ArgumentException(
                    $"{op}: shape {Format(shape)} has {exact} elements, more than the {int.MaxValue} a tensor can index");
            }
        }
        return (int)n;
    }

    /// <summary>Row-major strides for <paramref name="shape"/>. Size-0 dims count as 1 (as in torch); strides that
    /// would pass int.MaxValue, possible only in a shape with no elements, are capped there since nothing is addressed.</summary>
    internal static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = (int)s;
            s = Math.Min(s * Math.Max(shape[i], 1), int.MaxValue);
        }
        return strides;
    }

    /// <summary>Maps a possibly negative dimension into [0, ndim) like PyTorch, or throws naming the op.</summary>
    internal static int WrapDim(int dim, int ndim, string op)
    {
        int n = Math.Max(ndim, 1);
        if (dim < -n || dim >= n)
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})");
        return dim < 0 ? dim + n : dim;
    }

    /// <summary>The broadcast shape of two shapes (NumPy/PyTorch rules), or throws naming the op and both shapes.</summary>
    internal static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast: size {da} and size {db} differ at dimension {i}");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Resolves a single -1 entry of a requested view shape against <paramref name="numel"/>.</summary>
    internal static int[] InferSize(ReadOnlySpan<int> requested, long numel, string op, ReadOnlySpan<int> from)
    {
        var shape = requested.ToArray();
        int infer = -1;
        bool zero = false;
        long known = 1; // product of the given sizes, stopped once it passes numel (it can then never match)
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be inferred in {Format(requested)}");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"{op}: invalid shape dimension {shape[i]} in {Format(requested)}");
            else if (shape[i] == 0) zero = true;
            else if (known <= numel) known *= shape[i];
        }
        if (zero) known = 0;
        if (infer >= 0)
        {
            if (known == 0 && numel == 0)
                throw new ArgumentException(
                    $"{op}: cannot reshape tensor of 0 elements into shape {Format(requested)} because the unspecified dimension size -1 can be any value and is ambiguous");
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"{op}: shape {Format(requested)} is invalid for input of shape {Format(from)} ({numel} elements)");
            shape[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ArgumentException($"{op}: shape {Format(requested)} is invalid for input of shape {Format(from)} ({numel} elements)");
        return shape;
    }

    /// <summary>Whether <paramref name="from"/> broadcasts to exactly <paramref name="to"/> (torch.expand's rule:
    /// missing leading dims, and size-1 dims that stretch).</summary>
    internal static bool ExpandsTo(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        int lead = to.Length - from.Length;
        if (lead < 0) return false;
        for (int i = 0; i < from.Length; i++)
            if (from[i] != to[lead + i] && from[i] != 1) return false;
        return true;
    }

    internal static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
