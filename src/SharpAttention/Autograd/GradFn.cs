using SharpAttention.Tensors;

namespace SharpAttention.Autograd;

/// <summary>
/// A recorded operation in the autograd graph (PyTorch's grad_fn / Node). Each differentiable op has a subclass,
/// in the same file as its forward, that saves what backward needs and maps the output gradient to input gradients.
/// </summary>
public abstract class GradFn
{
    // The graph's edges. Input i is either a non-leaf, reached through the node that produced it (the node keeps no
    // reference to the intermediate tensor itself, so activations die with the graph's saved tensors, as in
    // PyTorch), or a leaf that requires grad; both null when input i needs no gradient.
    internal readonly GradFn?[] Producers;
    internal readonly Tensor?[] Leaves;
    internal readonly int[][] InputShapes;

    // Engine bookkeeping for one backward pass.
    internal Tensor? PendingGrad;
    internal bool PendingOwned;      // PendingGrad is a sum the engine made, so it may add into it in place
    internal int Dependencies;
    internal Tensor? RetainedOutput;
    bool released;

    protected GradFn(params Tensor?[] inputs)
    {
        Producers = new GradFn?[inputs.Length];
        Leaves = new Tensor?[inputs.Length];
        InputShapes = new int[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is not { RequiresGrad: true } input) continue;
            InputShapes[i] = input.ShapeArray;
            if (input.GradFn is { } producer) Producers[i] = producer;
            else Leaves[i] = input;
        }
    }

    internal int InputCount => Producers.Length;

    /// <summary>PyTorch-style name shown in ToString, e.g. "MulBackward0": an op class's nested <c>Backward</c> type
    /// is named after the op, with torch's overload suffix 0.</summary>
    public virtual string Name
    {
        get
        {
            var type = GetType();
            return type.Name == "Backward" && type.DeclaringType != null ? type.DeclaringType.Name + "Backward0" : type.Name;
        }
    }

    /// <summary>Whether input <paramref name="i"/> wants a gradient (skip computing it otherwise).</summary>
    protected bool NeedsGrad(int i) => Producers[i] != null || Leaves[i] != null;

    /// <summary>Gradients for each input (null where not needed), each exactly its input's shape.
    /// Runs under no-grad; may use any Tensor op.</summary>
    protected internal abstract Tensor?[] Apply(Tensor grad);

    /// <summary>True for one-input ops whose input gradient is zero outside the part of the input they read (slices):
    /// the engine then lets <see cref="AddInto"/> add the gradient into a buffer of the input's shape that it owns —
    /// one zero buffer for all of q, k and v of a packed projection instead of a zero-padded copy each and their sum.</summary>
    protected internal virtual bool AddsIntoInput => false;

    /// <summary>Adds the input gradient <see cref="Apply"/> would return into <paramref name="inputGrad"/> (a buffer
    /// of the input's shape and dtype that the engine owns) in place, or into a new zero buffer when it is null, and
    /// returns the buffer (only when <see cref="AddsIntoInput"/>).</summary>
    protected internal virtual Tensor AddInto(Tensor? inputGrad, Tensor grad) =>
        throw new NotSupportedException($"{Name} cannot add its gradient into a buffer");

    /// <summary>Drops saved tensors; called after backward unless the graph is retained.</summary>
    protected virtual void ReleaseSaved() { }

    internal void Release()
    {
        released = true;
        PendingGrad = null;
        RetainedOutput = null;
        ReleaseSaved();
    }

    /// <summary>True once released if the op saved tensors (it overrides ReleaseSaved): running it again would use
    /// freed state. Nodes that saved nothing may run in any number of backward passes, as in PyTorch.</summary>
    internal bool CannotRunAgain => released && SavesTensors.GetOrAdd(GetType(), static t =>
        t.GetMethod(nameof(ReleaseSaved), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.DeclaringType != typeof(GradFn));

    static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> SavesTensors = new();
}

/// <summary>A tensor saved for backward together with its storage version, so an in-place write between
/// forward and backward is reported instead of silently giving a wrong gradient.</summary>
internal struct SavedTensor
{
    Tensor? tensor;
    readonly int version;

    public SavedTensor(Tensor t)
    {
        tensor = t;
        version = t.Storage.Version;
    }

    public readonly Tensor Get()
    {
        var t = tensor ?? throw new InvalidOperationException("saved tensor was already released");
        if (t.Storage.Version != version)
            throw new InvalidOperationException(
                $"one of the tensors needed for gradient computation has been modified by an inplace operation: " +
                $"tensor of shape {ShapeUtil.Format(t.Shape)} is at version {t.Storage.Version}; expected version {version} instead");
        return t;
    }

    public void Clear() => tensor = null;

    /// <summary>Drops the tensor and returns its storage to the pool at once. Only for tensors private to the node
    /// (made by the op's forward for its backward and never handed out, e.g. layer norm's mean and rstd).</summary>
    public void ReleasePrivate()
    {
        tensor?.Storage.Release();
        tensor = null;
    }
}

/// <summary>Helpers op forwards use to decide whether to record a node.</summary>
internal static class Graph
{
    public static bool NeedsGrad(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;
    public static bool NeedsGrad(Tensor a, Tensor? b) => GradMode.IsEnabled && (a.RequiresGrad || b is { RequiresGrad: true });
    public static bool NeedsGrad(Tensor a, Tensor? b, Tensor? c) =>
        GradMode.IsEnabled && (a.RequiresGrad || b is { RequiresGrad: true } || c is { RequiresGrad: true });

    public static bool NeedsGrad(ReadOnlySpan<Tensor> tensors)
    {
        if (!GradMode.IsEnabled) return false;
        foreach (var t in tensors)
            if (t.RequiresGrad) return true;
        return false;
    }
}
