namespace SharpAttention.Tensors;

/// <summary>
/// An optional region whose tensors give their memory back to the pool the moment it ends, instead of when the
/// garbage collector finds them (TorchSharp's DisposeScope is the prior art; PyTorch frees by reference counting,
/// which .NET has not). Nothing requires a scope: without one, storage returns to the pool from finalizers as before.
/// With one around each training step, a step after warm-up allocates (almost) nothing on the managed heap:
/// <code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = TensorScope.Begin();
///     optimizer.ZeroGrad();
///     var loss = F.CrossEntropy(model.Forward(x), y);
///     loss.Backward();
///     optimizer.Step();
///     losses[step] = loss.Item();          // read values before the scope ends, or scope.Keep(loss)
/// }
/// </code>
/// Every tensor storage created on this thread while the scope is the innermost one belongs to it, and is released
/// when it is disposed — except storages that escaped: leaves that require grad (parameters), the gradients the
/// engine accumulates into leaves' .Grad, optimizer state, and tensors moved out with <see cref="Keep"/>,
/// <see cref="Tensor.MoveToOuterScope"/> (to the enclosing scope) or <see cref="Tensor.DetachFromScope"/> (to no
/// scope). Views share their storage's fate. Touching a released tensor throws an InvalidOperationException that
/// says so; it never reads recycled memory. Gradients that <see cref="Optim.Optimizer.ZeroGrad"/> drops inside a
/// scope are handed to it, so keep a reference to an old .Grad only by cloning it first.
/// A scope belongs to the thread that began it; scopes nest and must end innermost first (ending an outer scope
/// ends any inner ones still open).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] static TensorScope? current;
    // Storage lists of ended scopes, reused so that a scope per step allocates only the scope object itself.
    [ThreadStatic] static Stack<List<Storage?>>? spareLists;

    readonly TensorScope? parent;
    readonly int threadId;
    List<Storage?>? storages;
    int live;

    TensorScope()
    {
        parent = current;
        threadId = Environment.CurrentManagedThreadId;
        storages = spareLists is { Count: > 0 } spare ? spare.Pop() : new List<Storage?>();
        current = this;
    }

    /// <summary>Starts a scope on this thread; dispose it (a using statement) to release its tensors.</summary>
    public static TensorScope Begin() => new();

    /// <summary>The innermost open scope of this thread, or null.</summary>
    public static TensorScope? Current => current;

    /// <summary>Whether the scope has ended.</summary>
    public bool IsDisposed => storages is null;

    /// <summary>Number of storages the scope would release if it ended now.</summary>
    public int Count => live;

    /// <summary>Keeps <paramref name="tensor"/> (and every view of its storage) alive past this scope: it moves to
    /// the enclosing scope, or to none. A tensor this scope does not own is returned unchanged.</summary>
    public Tensor Keep(Tensor tensor)
    {
        var s = tensor.Storage;
        for (var owner = s.Scope; owner != null; owner = owner.parent)
            if (owner == this)
            {
                s.Unscope();
                parent?.Add(s);
                break;
            }
        return tensor;
    }

    internal void Add(Storage s)
    {
        var list = storages!;
        s.Scope = this;
        s.ScopeSlot = list.Count;
        list.Add(s);
        live++;
    }

    /// <summary>Where the next storage will go in this scope's list: for <see cref="ReleaseSince"/>.</summary>
    internal int Mark => storages!.Count;

    /// <summary>Releases the storages added since <paramref name="mark"/> except those of <paramref name="keep"/>.</summary>
    internal void ReleaseSince(int mark, Tensor?[] keep)
    {
        var list = storages!;
        for (int i = mark; i < list.Count; i++)
        {
            if (list[i] is not { } s || Holds(keep, s)) continue;
            s.Release();
        }
    }

    static bool Holds(Tensor?[] tensors, Storage s)
    {
        foreach (var t in tensors)
            if (t != null && ReferenceEquals(t.Storage, s)) return true;
        return false;
    }

    internal void Remove(Storage s)
    {
        storages![s.ScopeSlot] = null;
        s.Scope = null;
        live--;
    }

    /// <summary>Releases every storage still owned by this scope (ending inner scopes first) and makes the enclosing
    /// scope current again.</summary>
    public void Dispose()
    {
        if (storages is null) return;
        if (Environment.CurrentManagedThreadId != threadId)
            throw new InvalidOperationException("TensorScope: a scope must end on the thread that began it");
        while (current != null && current != this && IsAncestorOf(current)) current.Dispose();
        var list = storages;
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not { } s) continue;
            s.Scope = null;
            s.Release();
        }
        list.Clear();
        (spareLists ??= new Stack<List<Storage?>>()).Push(list);
        storages = null;
        live = 0;
        if (current == this) current = parent;
    }

    bool IsAncestorOf(TensorScope scope)
    {
        for (var s = scope.parent; s != null; s = s.parent)
            if (s == this) return true;
        return false;
    }
}
