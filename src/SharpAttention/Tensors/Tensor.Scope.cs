namespace SharpAttention.Tensors;

// Moving tensors out of a TensorScope (see TensorScope for when memory is released).
public sealed partial class Tensor
{
    /// <summary>Starts a <see cref="TensorScope"/> (same as <see cref="TensorScope.Begin"/>).</summary>
    public static TensorScope Scope() => TensorScope.Begin();

    /// <summary>Moves this tensor's storage (so every view of it) from the scope that owns it to the enclosing one,
    /// or to none, so it outlives the scope it was created in. No effect on a tensor outside any scope.</summary>
    public Tensor MoveToOuterScope()
    {
        var owner = Storage.Scope;
        if (owner != null) owner.Keep(this);
        return this;
    }

    /// <summary>Takes this tensor's storage out of every scope: it then lives until collected, like a tensor made
    /// outside any scope. For tensors cached across calls (lookup tables, masks, module buffers).</summary>
    public Tensor DetachFromScope()
    {
        Storage.Unscope();
        return this;
    }

    /// <summary>True once the storage behind this tensor went back to the pool (its scope ended); any access then throws.</summary>
    public bool IsReleased => Storage.IsReleased;
}
