using SharpAttention.Tensors;

namespace SharpAttention.Autograd;

/// <summary>
/// Frees the gradients flowing between nodes as soon as the backward pass is done with them, as PyTorch's engine does
/// by reference counting, instead of holding every one until the pass ends: the pass then needs the forward activations
/// plus about one layer's gradients, not plus every gradient of every layer (the G2P recipe's step peaked at 143 MB
/// above its weights with all of them held, 72 MB of it activations).
/// <para>Counts, per buffer, the nodes' pending-gradient slots that hold it. A buffer is released only when no slot holds
/// it any more, it was made during this pass (it belongs to the pass's scope: never the caller's gradient nor a tensor
/// forward saved) and it was never handed to a leaf or a retained tensor (those are written to .Grad when the pass
/// ends). Releasing is safe even when a view escaped unnoticed: a released storage refuses every access.</para>
/// </summary>
internal sealed class GradBuffers
{
    readonly Dictionary<Storage, int> holders = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<Storage> escaped = new(ReferenceEqualityComparer.Instance);
    TensorScope? pass;

    /// <summary>Starts a pass whose temporaries live in <paramref name="scope"/>.</summary>
    public void Begin(TensorScope scope) => pass = scope;

    /// <summary>A pending-gradient slot now holds <paramref name="t"/>.</summary>
    public void Hold(Tensor t) => holders[t.Storage] = holders.GetValueOrDefault(t.Storage) + 1;

    /// <summary><paramref name="t"/> goes to a leaf's or a retained tensor's .Grad: never released by the pass.</summary>
    public void Escape(Tensor t) => escaped.Add(t.Storage);

    /// <summary>A slot let go of <paramref name="t"/>; frees it if nothing else holds it.</summary>
    public void Drop(Tensor t)
    {
        var s = t.Storage;
        if (holders.TryGetValue(s, out int n))
        {
            if (n > 1)
            {
                holders[s] = n - 1;
                return;
            }
            holders.Remove(s);
        }
        ReleaseIfFree(t);
    }

    /// <summary>Frees <paramref name="t"/> (a gradient that was added into another) if no slot holds it.</summary>
    public void ReleaseIfFree(Tensor t)
    {
        var s = t.Storage;
        if (s.Scope == pass && pass != null && !s.IsReleased && !holders.ContainsKey(s) && !escaped.Contains(s)) s.Release();
    }

    public void Clear()
    {
        holders.Clear();
        escaped.Clear();
        pass = null;
    }
}
