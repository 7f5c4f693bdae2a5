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
    Tensor? grad;

    /// <summary>A view; ops check the shape first so errors name them, this re-check is the backstop. A view with no
    /// elements addresses nothing, so its offset is reset to 0 (slicing arithmetic there may run past the storage).</summary>
    internal Tensor(Storage storage, int offset, int[] shape, int[] strides)
    {
        NumEl = ShapeUtil.CheckedNumEl(shape, "view");
        Storage = storage;
        Offset = NumEl == 0 ? 0 : offset;
        this.shape = shape;
        this.strides = strides;
    }

    /// <summary>A new contiguous tensor of the given shape; zero-filled when <paramref name="clear"/>. Errors name
    /// <paramref name="op"/>.</summary>
    internal static Tensor Empty(ReadOnlySpan<int> shape, DType dtype, bool clear = false, string op = "empty")
    {
        int n = ShapeUtil.CheckedNumEl(shape, op);
        if (n > Array.MaxLength)
            throw new ArgumentException($"{op}: shape {ShapeUtil.Format(shape)} has {n} elements, more than the {Array.MaxLength} a .NET array holds");
        var s = shape.ToArray();
        return new Tensor(Storage.Allocate(dtype, n, clear), 0, s, ShapeUtil.ContiguousStrides(s));
    }

    public ReadOnlySpan<int> Shape => shape;
    public ReadOnlySpan<int> Strides => strides;

    /// <summary>Number of dimensions (PyTorch's dim()).</summary>
    public int Dim => shape.Length;

    /// <summary>Number of elements (PyTorch's numel()).</summary>
    public int NumEl { get; }

    public DType DType => Storage.DType;

    /// <summary>Size of one dimension; negative dims count from the end.</summary>
    public int Size(int dim)
    {
        if (Dim == 0)
            throw new ArgumentOutOfRangeException(nameof(dim), $"size: dimension specified as {dim} but tensor has no dimensions");
        return shape[ShapeUtil.WrapDim(dim, Dim, "size")];
    }

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
        return NumEl == 0 ? default : Storage.As<T>().AsSpan(Offset, NumEl);
    }

    internal int[] ShapeArray => shape;
    internal int[] StrideArray => strides;

    // ---- autograd fields -------------------------------------------------------------------------------------

    /// <summary>Whether autograd records operations on this tensor. Settable on leaves (true only for floating dtypes);
    /// a non-leaf always requires grad, so as in torch setting it true is a no-op and setting it false an error.</summary>
    public bool RequiresGrad
    {
        get => requiresGrad;
        set
        {
            if (gradFn != null)
            {
                if (value) return;
                throw new InvalidOperationException(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a " +
                    "subgraph that doesn't require differentiation use var_no_grad = var.Detach()");
            }
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

    /// <summary>Accumulated gradient of a leaf (or of a non-leaf after <see cref="RetainGrad"/>). As in torch, an
    /// assigned gradient must have this tensor's shape and dtype, since backward accumulates into it.</summary>
    public Tensor? Grad
    {
        get => grad;
        set
        {
            if (value != null && (value.DType != DType || !ShapeUtil.SameShape(value.Shape, Shape)))
                throw new ArgumentException(
                    $"grad: assigned grad of shape {ShapeUtil.Format(value.Shape)} ({value.DType.TorchName()}) does not match the tensor's " +
                    $"shape {ShapeUtil.Format(Shape)} ({DType.TorchName()})");
            grad = value;
        }
    }

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
