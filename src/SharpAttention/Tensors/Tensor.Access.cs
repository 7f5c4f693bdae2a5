using SharpAttention.Autograd;
using SharpAttention.Kernels;

namespace SharpAttention.Tensors;

// Reading and writing elements, copies, dtype conversion and the few in-place methods (name ends in _).
public sealed partial class Tensor
{
    /// <summary>Storage offset of the element at a row-major logical position.</summary>
    internal int OffsetOf(long flatIndex)
    {
        int off = Offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int n = shape[d];
            off += (int)(flatIndex % n) * strides[d];
            flatIndex /= n;
        }
        return off;
    }

    /// <summary>The element at a row-major logical position, converted to double.</summary>
    internal double GetFlat(long flatIndex)
    {
        int o = OffsetOf(flatIndex);
        return DType switch
        {
            DType.Float32 => Storage.As<float>()[o],
            DType.Float64 => Storage.As<double>()[o],
            DType.Int64 => Storage.As<long>()[o],
            _ => Storage.As<bool>()[o] ? 1 : 0,
        };
    }

    internal void SetFlat(long flatIndex, double value)
    {
        int o = OffsetOf(flatIndex);
        switch (DType)
        {
            case DType.Float32: Storage.As<float>()[o] = (float)value; break;
            case DType.Float64: Storage.As<double>()[o] = value; break;
            case DType.Int64: Storage.As<long>()[o] = (long)value; break;
            default: Storage.As<bool>()[o] = value != 0; break;
        }
    }

    /// <summary>Fills a fresh tensor without autograd or version checks.</summary>
    internal void FillRaw(double value)
    {
        switch (DType)
        {
            case DType.Float32: Span<float>().Fill((float)value); break;
            case DType.Float64: Span<double>().Fill(value); break;
            case DType.Int64: Span<long>().Fill((long)value); break;
            default: Span<bool>().Fill(value != 0); break;
        }
    }

    int FlatIndex(ReadOnlySpan<int> index)
    {
        if (index.Length != Dim)
            throw new ArgumentException($"index: {index.Length} indices for a tensor of shape {ShapeUtil.Format(Shape)}");
        int off = Offset;
        for (int d = 0; d < index.Length; d++)
        {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if (i < 0 || i >= shape[d])
                throw new IndexOutOfRangeException($"index {index[d]} is out of bounds for dimension {d} with size {shape[d]}");
            off += i * strides[d];
        }
        return off;
    }

    /// <summary>One element (any dtype, read as float). Writing is an in-place operation.</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => (float)GetAt(FlatIndex(index));
        set
        {
            CheckInPlace("index_put_");
            SetAt(FlatIndex(index), value);
            BumpVersion();
        }
    }

    double GetAt(int o) => DType switch
    {
        DType.Float32 => Storage.As<float>()[o],
        DType.Float64 => Storage.As<double>()[o],
        DType.Int64 => Storage.As<long>()[o],
        _ => Storage.As<bool>()[o] ? 1 : 0,
    };

    void SetAt(int o, double value)
    {
        switch (DType)
        {
            case DType.Float32: Storage.As<float>()[o] = (float)value; break;
            case DType.Float64: Storage.As<double>()[o] = value; break;
            case DType.Int64: Storage.As<long>()[o] = (long)value; break;
            default: Storage.As<bool>()[o] = value != 0; break;
        }
    }

    /// <summary>The value of a one-element tensor (PyTorch's item()).</summary>
    public float Item()
    {
        if (NumEl != 1)
            throw new InvalidOperationException($"item: a tensor with {NumEl} elements cannot be converted to a scalar");
        return (float)GetFlat(0);
    }

    /// <summary>The value of a one-element tensor as double.</summary>
    public double ItemDouble()
    {
        if (NumEl != 1)
            throw new InvalidOperationException($"item: a tensor with {NumEl} elements cannot be converted to a scalar");
        return GetFlat(0);
    }

    /// <summary>All elements in row-major order as float (converted from any dtype).</summary>
    public float[] ToArray()
    {
        var c = Contiguous();
        return DType switch
        {
            DType.Float32 => c.Span<float>().ToArray(),
            DType.Float64 => Array.ConvertAll(c.Span<double>().ToArray(), v => (float)v),
            DType.Int64 => Array.ConvertAll(c.Span<long>().ToArray(), v => (float)v),
            _ => Array.ConvertAll(c.Span<bool>().ToArray(), v => v ? 1f : 0f),
        };
    }

    public double[] ToDoubleArray()
    {
        var c = Contiguous();
        return DType switch
        {
            DType.Float32 => Array.ConvertAll(c.Span<float>().ToArray(), v => (double)v),
            DType.Float64 => c.Span<double>().ToArray(),
            DType.Int64 => Array.ConvertAll(c.Span<long>().ToArray(), v => (double)v),
            _ => Array.ConvertAll(c.Span<bool>().ToArray(), v => v ? 1.0 : 0.0),
        };
    }

    public long[] ToInt64Array()
    {
        if (DType != DType.Int64) throw new InvalidOperationException($"ToInt64Array: tensor has dtype {DType.TorchName()}");
        return Contiguous().Span<long>().ToArray();
    }

    public bool[] ToBoolArray()
    {
        if (DType != DType.Bool) throw new InvalidOperationException($"ToBoolArray: tensor has dtype {DType.TorchName()}");
        return Contiguous().Span<bool>().ToArray();
    }

    /// <summary>A contiguous copy of this view (no autograd).</summary>
    internal Tensor CopyRaw()
    {
        var r = Empty(shape, DType);
        switch (DType)
        {
            case DType.Float32: Strided.Copy(Storage.As<float>(), Offset, strides, r.Storage.As<float>(), 0, r.strides, shape); break;
            case DType.Float64: Strided.Copy(Storage.As<double>(), Offset, strides, r.Storage.As<double>(), 0, r.strides, shape); break;
            case DType.Int64: Strided.Copy(Storage.As<long>(), Offset, strides, r.Storage.As<long>(), 0, r.strides, shape); break;
            default: Strided.Copy(Storage.As<bool>(), Offset, strides, r.Storage.As<bool>(), 0, r.strides, shape); break;
        }
        return r;
    }

    /// <summary>This tensor if already contiguous, else a contiguous copy (differentiable).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Autograd.Ops.Clone.Forward(this);

    /// <summary>A copy with its own storage (differentiable, PyTorch's clone()).</summary>
    public Tensor Clone() => Autograd.Ops.Clone.Forward(this);

    /// <summary>Converts to another dtype; float-to-float conversions are differentiable.</summary>
    public Tensor To(DType dtype) => dtype == DType ? this : Autograd.Ops.ToDType.Forward(this, dtype);

    public Tensor Float() => To(DType.Float32);

    public Tensor Double() => To(DType.Float64);

    /// <summary>Refuses in-place writes that would corrupt autograd, with PyTorch's wording.</summary>
    internal void CheckInPlace(string op)
    {
        if (!GradMode.IsEnabled || !RequiresGrad) return;
        if (IsLeaf)
            throw new InvalidOperationException($"{op}: a leaf tensor that requires grad is being used in an in-place operation; wrap it in GradMode.NoGrad()");
        throw new InvalidOperationException($"{op}: in-place operations on tensors recorded by autograd are not supported; use the out-of-place op");
    }

    /// <summary>Copies <paramref name="src"/> (broadcast to this shape, converted to this dtype) into this view.</summary>
    public Tensor CopyFrom_(Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckInPlace("copy_");
        CheckInPlaceSource(src, "copy_");
        CheckNoInternalOverlap("copy_");
        if (!ShapeUtil.ExpandsTo(src.Shape, Shape))
            throw new ArgumentException(
                $"copy_: source of shape {ShapeUtil.Format(src.Shape)} cannot be broadcast to the destination's shape {ShapeUtil.Format(Shape)}");
        Tensor b;
        using (GradMode.NoGrad())
        {
            b = src.DType == DType ? src.Detach() : src.To(DType).Detach();
            // A source sharing this storage could be overwritten while it is read: copy it out first.
            if (ReferenceEquals(b.Storage, Storage)) b = b.CopyRaw();
            b = b.BroadcastTo(shape);
        }
        switch (DType)
        {
            case DType.Float32: Strided.Copy(b.Storage.As<float>(), b.Offset, b.strides, Storage.As<float>(), Offset, strides, shape); break;
            case DType.Float64: Strided.Copy(b.Storage.As<double>(), b.Offset, b.strides, Storage.As<double>(), Offset, strides, shape); break;
            case DType.Int64: Strided.Copy(b.Storage.As<long>(), b.Offset, b.strides, Storage.As<long>(), Offset, strides, shape); break;
            default: Strided.Copy(b.Storage.As<bool>(), b.Offset, b.strides, Storage.As<bool>(), Offset, strides, shape); break;
        }
        BumpVersion();
        return this;
    }

    /// <summary>In-place ops are not recorded by autograd, so a source that needs a gradient would silently lose it.</summary>
    static void CheckInPlaceSource(Tensor src, string op)
    {
        if (GradMode.IsEnabled && src.RequiresGrad)
            throw new InvalidOperationException(
                $"{op}: the source of shape {ShapeUtil.Format(src.Shape)} requires grad, but in-place ops are not recorded by autograd; " +
                "use the out-of-place op, or Detach() the source if no gradient should flow");
    }

    /// <summary>Writing through a broadcast view (stride 0) would write several elements to one memory location.</summary>
    void CheckNoInternalOverlap(string op)
    {
        for (int d = 0; d < Dim; d++)
            if (strides[d] == 0 && shape[d] > 1)
                throw new InvalidOperationException(
                    $"{op}: more than one element of the written-to tensor of shape {ShapeUtil.Format(Shape)} refers to a single memory location (an expanded view); call Clone() first");
    }

    /// <summary>Sets every element of this view to <paramref name="value"/>.</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("fill_");
        CheckNoInternalOverlap("fill_");
        if (IsContiguous) FillRaw(value);
        else
            for (long i = 0; i < NumEl; i++) SetFlat(i, value);
        BumpVersion();
        return this;
    }

    public Tensor Zero_() => Fill_(0);

    /// <summary>this += alpha * other (other broadcast to this shape), in place.</summary>
    public Tensor Add_(Tensor other, double alpha = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckInPlace("add_");
        CheckInPlaceSource(other, "add_");
        if (alpha == 1 && DType == DType.Float32 && other.DType == DType.Float32 && IsContiguous && other.IsContiguous
            && ShapeUtil.SameShape(other.Shape, Shape) && (!ReferenceEquals(other.Storage, Storage) || other.Offset == Offset))
        {
            // The common case (gradient accumulation) in one pass, without a temporary.
            System.Numerics.Tensors.TensorPrimitives.Add(Span<float>(), other.Span<float>(), Span<float>());
            BumpVersion();
            return this;
        }
        Tensor sum;
        using (GradMode.NoGrad()) sum = alpha == 1 ? Add(other) : Add(other.Mul(alpha));
        if (!ShapeUtil.SameShape(sum.Shape, Shape))
            throw new ArgumentException($"add_: result shape {ShapeUtil.Format(sum.Shape)} does not match the destination's {ShapeUtil.Format(Shape)}");
        using (GradMode.NoGrad()) return CopyFrom_(sum);
    }

    /// <summary>this *= value, in place.</summary>
    public Tensor Mul_(double value)
    {
        CheckInPlace("mul_");
        Tensor product;
        using (GradMode.NoGrad()) product = Mul(value);
        using (GradMode.NoGrad()) return CopyFrom_(product);
    }
}
