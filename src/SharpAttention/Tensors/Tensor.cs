using System.Runtime.CompilerServices;
using SharpAttention.Autograd;

namespace SharpAttention.Tensors;

/// <summary>
/// An n-dimensional array (PyTorch's torch.Tensor): a view (shape, strides, offset) over a pooled
/// <see cref="Storage"/>, plus the autograd fields. Several tensors may share one storage (views). Nothing needs
/// disposing: storage returns to <see cref="StoragePool"/> when the last view is collected.
/// Methods are split by topic over the Tensor.*.cs files.
/// </summary>
public sealed partial class Tensor
{
    internal readonly Storage Storage;
    internal readonly int Offset;
    readonly int[] shape;
    readonly int[] strides;
    bool requiresGrad;
    GradFn? gradFn;

    internal Tensor(Storage storage, int offset, int[] shape, int[] strides)
    {
        Storage = storage;
        Offset = offset;
        this.shape = shape;
        this.strides = strides;
        NumEl = (int)ShapeUtil.NumEl(shape);
    }

    /// <summary>A new contiguous tensor of the given shape; zero-filled when <paramref name="clear"/>.</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype, bool clear = false)
    {
        long n = ShapeUtil.NumEl(shape);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape {ShapeUtil.Format(shape)}");
        if (n > Array.MaxLength) throw new ArgumentException($"shape {ShapeUtil.Format(shape)} has {n} elements, more than a .NET array holds");
        var s = shape.ToArray();
        return new Tensor(Storage.Allocate(dtype, (int)n, clear), 0, s, ShapeUtil.ContiguousStrides(s));
    }

    public ReadOnlySpan<int> Shape => shape;
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Number of dimensions (PyTorch's dim()).</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements (PyTorch's numel()).</summary>
    public int NumEl { get; }

    public DType DType => Storage.DType;

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public int Size(int dim) => shape[ShapeUtil.WrapDim(dim, Dim, "size")];

    public bool IsContiguous
    {
        get
        {
            if (NumEl == 0) return true; // no elements, nothing to lay out (as PyTorch)
            int expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] != 1 && strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    /// <summary>The elements of a contiguous tensor as a span of T (T must match the dtype).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<T> Span<T>()
    {
        System.Diagnostics.Debug.Assert(IsContiguous);
        return Storage.As<T>().AsSpan(Offset, NumEl);
    }

    internal int[] ShapeArray => shape;
    internal int[] StrideArray => strides;

    // ---- autograd fields -------------------------------------------------------------------------------------

    /// <summary>Whether autograd records operations on this tensor. Settable on leaves of floating dtype only.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (gradFn != null)
                throw new InvalidOperationException(
                    "you can only change requires_grad flags of leaf tensors; use Detach() to get a leaf from a non-leaf tensor");
            if (value && !DType.IsFloatingPoint())
                throw new InvalidOperationException($"only tensors of floating point dtype can require gradients, got {DType.TorchName()}");
            if (value) Storage.Unscope();   // a leaf that requires grad is a parameter: no TensorScope may release it
            requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (PyTorch's requires_grad_()).</summary>
    public Tensor RequiresGrad_(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>Accumulated gradient of a leaf (or of a non-leaf after <see cref="RetainGrad"/>).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor, or null for leaves.</summary>
    public GradFn? GradFn => gradFn;

    /// <summary>True for tensors created by the user (no grad_fn), as in PyTorch.</summary>
    public bool IsLeaf => gradFn == null;

    /// <summary>Makes a non-leaf tensor keep its gradient in <see cref="Grad"/> after backward.</summary>
    public void RetainGrad()
    {
        if (!requiresGrad) throw new InvalidOperationException("can't retain_grad on a tensor that has requires_grad=False");
        if (gradFn != null) gradFn.RetainedOutput = this;
    }

    /// <summary>Attaches the node that computed this (fresh, output) tensor; called by op forwards.</summary>
    internal void SetGradFn(GradFn fn)
    {
        gradFn = fn;
        requiresGrad = true;
    }

    /// <summary>A tensor sharing this storage but cut off from the graph (PyTorch's detach()).</summary>
    public Tensor Detach() => new(Storage, Offset, shape, strides);

    /// <summary>Computes gradients of this tensor w.r.t. graph leaves (PyTorch's backward()).</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => Engine.Backward(this, gradient, retainGraph);

    /// <summary>Marks an in-place write, so graph nodes that saved this storage can detect it.</summary>
    internal void BumpVersion() => Storage.Version++;
}
