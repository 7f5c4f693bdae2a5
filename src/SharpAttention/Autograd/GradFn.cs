using SharpAttention.Tensors;

namespace SharpAttention.Autograd;

/// <summary>
/// A recorded operation in the autograd graph (PyTorch's grad_fn / Node). Each differentiable op has a subclass,
/// in the same file as its forward, that saves what backward needs and maps the output gradient to input gradients.
/// </summary>
public abstract class GradFn
{
    /// <summary>The op's inputs; an entry is null when that input needs no gradient.</summary>
    internal readonly Tensor?[] Inputs;

    // Engine bookkeeping for one backward pass.
    internal Tensor? PendingGrad;
    internal int Dependencies;
    internal Tensor? RetainedOutput;
    bool released;

    protected GradFn(params Tensor?[] inputs)
    {
        Inputs = inputs;
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is { RequiresGrad: false }) Inputs[i] = null;
    }

    /// <summary>PyTorch-style name shown in ToString, e.g. "MulBackward": an op class's nested
    /// <c>Backward</c> type is named after the op.</summary>
    public virtual string Name
    {
        get
        {
            var type = GetType();
            return type.Name == "Backward" && type.DeclaringType != null ? type.DeclaringType.Name + "Backward" : type.Name;
        }
    }

    /// <summary>Whether input <paramref name="i"/> wants a gradient (skip computing it otherwise).</summary>
    protected bool NeedsGrad(int i) => Inputs[i] != null;

    /// <summary>Gradients for each input (null where not needed), each exactly its input's shape.
    /// Runs under no-grad; may use any Tensor op.</summary>
    protected internal abstract Tensor?[] Apply(Tensor grad);

    /// <summary>Drops saved tensors; called after backward unless the graph is retained.</summary>
    protected virtual void ReleaseSaved() { }

    internal void Release()
    {
        released = true;
        PendingGrad = null;
        RetainedOutput = null;
        ReleaseSaved();
    }

    internal bool IsReleased => released;
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
